/**
 * FTimestamp: the current time as milliseconds since the epoch, an ISO string, or a dayjs-formatted string
 * (SmythOS `FTimestamp.class.ts`, which also formats with dayjs).
 */
import dayjs from 'dayjs';
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

const CUSTOM_FORMAT = /^[YMDHhmsSSZzAa\s\-/:,.]*$/;

/**
 * `data` of an FTimestamp component: `format` `unix` (default) | `timestamp` (both ms since epoch) | `iso`
 * | a dayjs format made of `YMDHhmsSZzAa`, spaces and `-/:,.` (SmythOS's Joi pattern, same message).
 */
export const fTimestampConfig = z.looseObject({
  format: z
    .string()
    .refine((f) => ['unix', 'iso', 'timestamp'].includes(f) || CUSTOM_FORMAT.test(f), { error: (issue) => `Invalid format string: ${String(issue.input)}` })
    .nullish(),
});

/**
 * FTimestamp: no inputs needed → output `Timestamp` (number of ms for `unix`/`timestamp`, else a string).
 * Source: SRE `Components/FTimestamp.class.ts`; fixture `/api/timestamp` → `{Timestamp: <ms>}`.
 */
export const fTimestamp: ComponentType = {
  name: 'FTimestamp',
  doc: 'Answers the current time. Config: `format` — `unix` (the default) or `timestamp` give milliseconds since the epoch as a number, `iso` an ISO-8601 string in UTC, anything else is a dayjs format string in the server\'s time zone (letters YMDHhmsSZzAa, spaces and - / : , .). Output: `Timestamp`. Any other character in `format` fails validation with `Invalid format string: <format>`.',
  configSchema: fTimestampConfig,
  process(_input, component) {
    const format = (component.data as z.infer<typeof fTimestampConfig>).format || 'unix';
    if (format === 'unix' || format === 'timestamp') return { Timestamp: Date.now() };
    const now = dayjs();
    return { Timestamp: format === 'iso' ? now.toISOString() : now.format(format) };
  },
};
