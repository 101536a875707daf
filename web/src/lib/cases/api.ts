// 案件接口调用 the workflow screens' calls to the hub: cases, their history and actions, candidates, the workflow table,
// catalogue classes and situations, departments and the responsibility suggestion, collectors, and photos (upload, and
// download with the session's token, since <img> cannot send one). Every call goes through `api` (lib/api/http.ts).
import { api, ApiError, type TokenHolder } from '$lib/api/http';
import type {
  ActionInput,
  AreaCodes,
  CandidatePage,
  Candidate,
  CaseHistory,
  CasePage,
  CaseQuery,
  CaseView,
  CatalogueClass,
  Collector,
  Department,
  Situation,
  WorkflowDocument,
} from './types';

/** GET /api/cases with the query's filters; arrays repeat their parameter (state=a&state=b), as the hub expects. */
export function caseListPath(query: CaseQuery, page: { limit: number; offset: number }): string {
  const params = new URLSearchParams();
  for (const s of query.state ?? []) params.append('state', s);
  for (const k of query.pendingApproval ?? []) params.append('pendingApproval', k);
  if (query.departmentId) params.set('departmentId', query.departmentId);
  if (query.classKind) params.set('classKind', query.classKind);
  if (query.source) params.set('source', query.source);
  if (query.supervised !== undefined) params.set('supervised', String(query.supervised));
  if (query.overdue !== undefined) params.set('overdue', String(query.overdue));
  params.set('limit', String(page.limit));
  params.set('offset', String(page.offset));
  return `/api/cases?${params.toString()}`;
}

export const listCases = (
  session: TokenHolder,
  query: CaseQuery,
  page: { limit: number; offset: number },
  signal?: AbortSignal,
) => api<CasePage>(session, caseListPath(query, page), { signal });

export const getCase = (session: TokenHolder, id: string, signal?: AbortSignal) =>
  api<CaseView>(session, `/api/cases/${encodeURIComponent(id)}`, { signal });

export const getHistory = (session: TokenHolder, id: string, signal?: AbortSignal) =>
  api<CaseHistory>(session, `/api/cases/${encodeURIComponent(id)}/history`, { signal });

/** One action of the workflow table, only if the case is still at `version` (else 409: reload and look again). */
export const act = (session: TokenHolder, id: string, action: string, version: number, input: ActionInput) =>
  api<CaseView>(session, `/api/cases/${encodeURIComponent(id)}/actions/${encodeURIComponent(action)}`, {
    method: 'POST',
    body: { ...input, version },
  });

let workflowCache: Promise<WorkflowDocument> | null = null;

/** The workflow table (it changes only with a new hub release: fetched once per page load). */
export function getWorkflow(session: TokenHolder): Promise<WorkflowDocument> {
  workflowCache ??= api<WorkflowDocument>(session, '/api/cases/workflow').catch((err: unknown) => {
    workflowCache = null;
    throw err;
  });
  return workflowCache;
}

export const listCandidates = (session: TokenHolder, page: { limit: number; offset: number }, signal?: AbortSignal) =>
  api<CandidatePage>(session, '/api/candidates', {
    query: { status: 'pending', limit: page.limit, offset: page.offset },
    signal,
  });

export const acceptCandidate = (
  session: TokenHolder,
  id: string,
  input: { note?: string; classCode?: string; standardId?: number },
) =>
  api<{ candidate: Candidate; case: CaseView }>(session, `/api/candidates/${encodeURIComponent(id)}/accept`, {
    method: 'POST',
    body: input,
  });

export const dismissCandidate = (session: TokenHolder, id: string, reason: string) =>
  api<Candidate>(session, `/api/candidates/${encodeURIComponent(id)}/dismiss`, {
    method: 'POST',
    body: { reason },
  });

export const searchClasses = (session: TokenHolder, q: string, signal?: AbortSignal) =>
  api<{ items: CatalogueClass[]; total: number }>(session, '/api/catalogue/classes', {
    query: { q, limit: 30 },
    signal,
  });

/** Every class, a page at a time (a few hundred: the names of the lists). */
export async function allClasses(session: TokenHolder): Promise<CatalogueClass[]> {
  const out: CatalogueClass[] = [];
  for (let offset = 0; ;) {
    const page = await api<{ items: CatalogueClass[]; total: number }>(session, '/api/catalogue/classes', {
      query: { limit: 1000, offset },
    });
    out.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return out;
  }
}

export const getClass = (session: TokenHolder, kind: string, code: string, signal?: AbortSignal) =>
  api<{ class: CatalogueClass; situations: Situation[] }>(
    session,
    `/api/catalogue/classes/${encodeURIComponent(`${kind}:${code}`)}`,
    { signal },
  );

export const listDepartments = (session: TokenHolder) =>
  api<Department[]>(session, '/api/departments', { query: { enabled: true } });

/** 责任部门 the department the responsibility rules choose for a class at a place (what dispatch does by default). */
export const resolveResponsibility = (session: TokenHolder, classRef: string, area: AreaCodes) =>
  api<{ resolution: { departmentId: string; fallback: boolean; ruleId: number | null } | null }>(
    session,
    '/api/responsibility/resolve',
    { query: { class: classRef, ...area } },
  );

export const listCollectors = (session: TokenHolder) => api<{ items: Collector[] }>(session, '/api/collectors');

/** POST /api/media: the file itself is the body (its type must be image/jpeg, image/png or image/webp). */
export const uploadPhoto = (session: TokenHolder, file: File) =>
  api<{ id: string; contentType: string; bytes: number }>(session, '/api/media', { method: 'POST', body: file });

const mediaUrls = new Map<string, Promise<string>>();

/** An object URL of a stored photo, fetched once per page with the session's token. */
export function mediaUrl(session: TokenHolder, id: string): Promise<string> {
  let url = mediaUrls.get(id);
  if (!url) {
    url = (async () => {
      const response = await fetch(`/api/media/${encodeURIComponent(id)}`, {
        headers: session.token ? { authorization: `Bearer ${session.token}` } : {},
      });
      if (response.status === 401) session.clear();
      if (!response.ok) throw new ApiError(`GET /api/media/${id}: ${response.status}`, response.status);
      return URL.createObjectURL(await response.blob());
    })();
    url.catch(() => mediaUrls.delete(id));
    mediaUrls.set(id, url);
  }
  return url;
}

/** A refusal the hub explained; `conflict`: the case changed under the user (409: stale version or state). */
export function describeFailure(err: unknown): { message: string; conflict: boolean } {
  // The hub's own words, without the "POST /api/…: " the client puts in front for the console.
  if (err instanceof ApiError)
    return { message: err.message.replace(/^[A-Z]+ \S+: /, ''), conflict: err.status === 409 };
  return { message: err instanceof Error ? err.message : String(err), conflict: false };
}
