import { SpanStatusCode, type Span } from '@opentelemetry/api';

/** Ends `span` with `error`: its type as `error.type`, as the semantic conventions ask, and an error status. */
export function endWithError(span: Span, error: unknown): void {
  span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}
