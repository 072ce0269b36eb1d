import { ApiError } from '@/api/http'

/**
 * Maps server field names to form item props where they differ (e.g. nested certificate fields).
 * Unknown fields map to themselves.
 */
export type FieldMap = Record<string, string>

/**
 * Given an error from the API and the props of the form's items, returns
 * `{ prop, message }` when the error names a field present in the form, otherwise null.
 */
export function fieldErrorFor(
  error: unknown,
  formProps: readonly string[],
  fieldMap: FieldMap = {},
): { prop: string; message: string } | null {
  if (!(error instanceof ApiError) || !error.field) return null
  const prop = fieldMap[error.field] ?? error.field
  if (!formProps.includes(prop)) return null
  return { prop, message: error.message }
}

/** Message to show the user for any thrown value. */
export function errorMessage(error: unknown, fallback: string): string {
  if (error instanceof ApiError) return error.message || fallback
  if (error instanceof Error && error.message) return error.message
  return fallback
}
