// Defensive reads of the raw YAML data, for the checks that run even when the schema found errors
// (a field of the wrong type is the schema's to report, and reads here as absent).
export type Raw = Readonly<Record<string, unknown>>;

export const isMap = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
export const listAt = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);
export const stringAt = (value: unknown): string | null => (typeof value === 'string' ? value : null);
export const intAt = (value: unknown): number | null => (Number.isSafeInteger(value) ? (value as number) : null);
