// 名称表 the names the case lists show instead of codes: catalogue classes (部件/事件 code → name) and departments
// (id → name), loaded once per page after login and shared by every component.
import type { TokenHolder } from '$lib/api/http';
import { locale } from '$lib/i18n/locale.svelte';
import { allClasses, listDepartments } from './api';
import type { CatalogueClass, Department } from './types';

class Names {
  classes: Record<string, CatalogueClass> = $state({});
  departments: Record<string, Department> = $state({});
  #loading: Promise<void> | null = null;

  /** Loads both tables once; a failure is retried on the next call. */
  load(session: TokenHolder): Promise<void> {
    this.#loading ??= (async () => {
      const [classes, departments] = await Promise.all([allClasses(session), listDepartments(session)]);
      this.classes = Object.fromEntries(classes.map((c) => [`${c.kind}:${c.code}`, c]));
      this.departments = Object.fromEntries(departments.map((d) => [d.id, d]));
    })().catch((err: unknown) => {
      this.#loading = null;
      throw err;
    });
    return this.#loading;
  }

  /** `0101 上水井盖` (or its English name); the bare code while the catalogue loads or for an unknown class. */
  className(kind: string, code: string): string {
    const c = this.classes[`${kind}:${code}`];
    if (!c) return code;
    return `${code} ${locale.current === 'en' && c.nameEn ? c.nameEn : c.nameZh}`;
  }

  departmentName(id: string | null): string {
    if (!id) return '—';
    return this.departments[id]?.name ?? id;
  }
}

export const names = new Names();
