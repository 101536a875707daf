// 评价对象 the evaluation objects (CJ/T 292: 区域评价, 部门评价, 岗位评价): the whole city, the geo areas of the case
// (unit grid cell, community, street, district), the class of problem, each department, and each person in an
// evaluated position (collector 监督员, acceptor 受理员, shift leader 值班长, dispatcher 派遣员). Each kind names the
// dimension of the daily aggregates it is read from and how its key is written.
import type { PositionRole } from './facts.js';

export const OBJECT_KINDS = [
  'city',
  'district',
  'street',
  'community',
  'cell',
  'class',
  'department',
  'collector',
  'acceptor',
  'shiftLeader',
  'dispatcher',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export const AREA_KINDS = ['district', 'street', 'community', 'cell'] as const satisfies readonly ObjectKind[];
export type AreaKind = (typeof AREA_KINDS)[number];

/** The dimensions the daily aggregates are grouped by, with the fact column (or expression) that is the key. */
export const DIMENSIONS = {
  city: "''",
  district: 'district_code',
  street: 'street_code',
  community: 'community_code',
  cell: 'cell_code',
  class: 'class_key',
  department: 'department_id',
  person: 'person_key',
} as const;
export type Dimension = keyof typeof DIMENSIONS;

export const OBJECT_NAMES_ZH: Record<ObjectKind, string> = {
  city: '全市',
  district: '区',
  street: '街道',
  community: '社区',
  cell: '单元网格',
  class: '案件类别',
  department: '专业部门',
  collector: '监督员',
  acceptor: '受理员',
  shiftLeader: '值班长',
  dispatcher: '派遣员',
};

export function isPositionKind(kind: ObjectKind): kind is PositionRole {
  return kind === 'collector' || kind === 'acceptor' || kind === 'shiftLeader' || kind === 'dispatcher';
}

/** Where an object kind's rows are: the dimension, and (for positions) the prefix of the person key. */
export function dimensionOf(kind: ObjectKind): { dim: Dimension; prefix: string } {
  if (isPositionKind(kind)) return { dim: 'person', prefix: `${kind}:` };
  return { dim: kind, prefix: '' };
}
