/** What a failed Datastore call tells the user, by its gRPC status code. */
import type { Datastore } from '@google-cloud/datastore';

/** The gRPC status codes the store reads (google.rpc.Code). */
export const Code = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export interface ErrorContext {
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly client: Datastore;
}

/** The remedy for a failed call: what to check, and where. */
export function remedyFor(context: ErrorContext, error: unknown): string {
  const where = describeEndpoint(context.client);
  const entities = `kind "${context.kind}"${context.namespace ? ` in namespace "${context.namespace}"` : ''}`;
  switch (grpcCode(error)) {
    case Code.PERMISSION_DENIED:
    case Code.UNAUTHENTICATED:
      return `Are the client's credentials allowed to use Datastore at ${where} (role roles/datastore.user)?`;
    case Code.INVALID_ARGUMENT:
      return `Datastore at ${where} refused the request for ${entities}: an entity may not exceed 1 MiB; keep large data out of the session (store it elsewhere and keep its id).`;
    case Code.FAILED_PRECONDITION:
    case Code.NOT_FOUND:
      return `Does the project have a database in Datastore mode at ${where}, with the built-in index on "expiresAt" of ${entities} (it must not be excluded from indexes)?`;
    default:
      return `Is Datastore at ${where} up and reachable?`;
  }
}

/** Where the client sends requests, and for which project, for error messages. */
export function describeEndpoint(client: Datastore): string {
  const options = client.options as { servicePath?: string; port?: number; projectId?: string };
  const host = options.servicePath ? `${options.servicePath}${options.port ? `:${options.port}` : ''}` : "the client's endpoint";
  return options.projectId ? `${host} (project "${options.projectId}")` : host;
}
