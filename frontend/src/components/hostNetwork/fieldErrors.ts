import { ApiError } from '../../api/client';

/** The messages of a failed write, per field (`non_field_errors` for the whole object). */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  if (error instanceof ApiError) {
    const fields = error.fieldErrors;
    return Object.keys(fields).length ? fields : { non_field_errors: [error.message] };
  }
  return { non_field_errors: [String(error)] };
}
