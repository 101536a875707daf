// 系统管理 the admin screen's sub-screens, one route each under /admin.
export const ADMIN_TABS = [
  { path: '/admin/devices', zh: '设备', en: 'Devices' },
  { path: '/admin/cameras', zh: '摄像头与区域', en: 'Cameras & zones' },
  { path: '/admin/users', zh: '用户', en: 'Users' },
  { path: '/admin/catalogue', zh: '分类与标准', en: 'Catalogue & standards' },
  { path: '/admin/calendar', zh: '工作日历', en: 'Working calendar' },
  { path: '/admin/grids', zh: '网格', en: 'Grids' },
] as const;
