// 分页列表 a list the hub pages (limit/offset/total) as an admin screen keeps it: read again whenever a filter the
// reader uses, the page or `reload()` changes, the newest read winning (a newer one aborts the read under way); a failed
// read keeps the last list and says why.
import type { Page } from './devices';

export type PageReader<T> = (page: { limit: number; offset: number }, signal: AbortSignal) => Promise<Page<T>>;

export class PagedList<T> {
  offset = $state(0);
  list = $state<Page<T> | null>(null);
  error = $state<unknown>(null);
  #reloads = $state(0);

  /** Call while a component initialises: the list lives as long as the component. */
  constructor(read: PageReader<T>, limit = 20) {
    $effect(() => {
      const page = { limit, offset: this.offset };
      void this.#reloads;
      const controller = new AbortController();
      read(page, controller.signal)
        .then((result) => {
          this.list = result;
          this.error = null;
        })
        .catch((error: unknown) => {
          if (!controller.signal.aborted) this.error = error;
        });
      return () => controller.abort();
    });
  }

  /** Something changed on the hub (a row edited, one created): read the page again. */
  reload(): void {
    this.#reloads++;
  }

  /** A filter changed: back to the first page. */
  refilter(): void {
    this.offset = 0;
  }
}
