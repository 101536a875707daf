// 评价错误 the evaluation module's typed errors: each code answers one way over HTTP (hub/http/evaluation.ts).
export type EvaluationErrorCode =
  'InvalidPeriod' | 'InvalidInput' | 'UnknownObject' | 'InvalidWeights' | 'ReportNotFound' | 'PdfUnavailable';

export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
  constructor(
    readonly code: EvaluationErrorCode,
    message: string,
    readonly errors: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}
