/**
 * How `.smyth` import reports problems: one sink the readers push into, and the one way a component is
 * named in messages (`Component "ID" (Title)`), so a 400 listing many problems reads the same throughout.
 */
import type { DefinitionProblem } from '../definition.ts';

/** The component a problem is about: its id and title, when the document gives them. */
export interface ComponentRef {
  id?: string;
  title?: string;
}

/** Receives one problem; `path` locates the value in the document (`data.components[2].id`). */
export type ProblemSink = (severity: DefinitionProblem['severity'], path: string, message: string, component?: ComponentRef) => void;

/** `Component "ID" (Title)`, `Component "ID"`, or `Component (Title)` when the id is missing. */
export function componentLabel(component: ComponentRef): string {
  const id = component.id !== undefined ? ` "${component.id}"` : '';
  const title = component.title !== undefined ? ` (${component.title})` : '';
  return `Component${id}${title}`;
}

/**
 * A problem. `message` is written to follow a component's label (`has no id.`): it is prefixed with the
 * label when the problem is about a component, and capitalized when it stands alone.
 */
export function problemAt(severity: DefinitionProblem['severity'], path: string, message: string, component?: ComponentRef): DefinitionProblem {
  if (component && (component.id !== undefined || component.title !== undefined)) {
    const problem: DefinitionProblem = { severity, path, message: `${componentLabel(component)}: ${message}` };
    if (component.id !== undefined) problem.componentId = component.id;
    if (component.title !== undefined) problem.title = component.title;
    return problem;
  }
  return { severity, path, message: message.charAt(0).toUpperCase() + message.slice(1) };
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The id and title of a raw component, each only when it is a non-empty string. */
export function refOf(raw: Record<string, unknown>): ComponentRef {
  const ref: ComponentRef = {};
  if (typeof raw.id === 'string' && raw.id !== '') ref.id = raw.id;
  if (typeof raw.title === 'string' && raw.title !== '') ref.title = raw.title;
  return ref;
}
