/** The errors the API returned for one field of a small form. */
export function FieldErrors({ errors, field }: { errors: Record<string, string[]>; field: string }) {
  if (!errors[field]) return null;
  return (
    <div className="field-error" data-testid={`error-${field}`}>
      {errors[field].join(' ')}
    </div>
  );
}
