/** RFC 9457 problem details (`application/problem+json`). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Extension member: the RFC 6750 error code, when there is one. */
  error?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, error?: string): ProblemDetails {
  return {
    // about:blank: the HTTP status says it all (RFC 9457 §4.2.1); `error` narrows it down.
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(error ? { error } : {}),
  };
}
