/**
 * Adding a command to one of my registrations: the command string, and a filter built from a small
 * form after the grammar of src/bots/filter.ts (docs/bot-runner.md "Filters") — an event type, then
 * for `m.room.message` one of prefix / mention / regex (optionally a msgtype), for the original's
 * `app.boxel.bot-trigger` its `content_type`, for any other type an optional `content_type`. The
 * server checks the filter again and its message is shown as it words it.
 */
import { useState, type FormEvent } from 'react';
import { bots, errorText, type BotRegistration } from './bot-client.ts';

const MESSAGE = 'm.room.message';
const BOT_TRIGGER = 'app.boxel.bot-trigger';
const OTHER = 'other';

/** What the filter form holds. */
export interface FilterFields {
  eventType: string;
  customType: string;
  trigger: 'prefix' | 'mention' | 'regex';
  prefix: string;
  mention: string;
  regex: string;
  flags: string;
  msgtype: string;
  contentType: string;
}

const EMPTY: FilterFields = { eventType: MESSAGE, customType: '', trigger: 'prefix', prefix: '', mention: '', regex: '', flags: '', msgtype: '', contentType: '' };

/** The filter object the fields describe (fields left empty are left out, so the server names what is missing). */
export function buildFilter(f: FilterFields): Record<string, unknown> {
  const eventType = f.eventType === OTHER ? f.customType.trim() : f.eventType;
  const filter: Record<string, unknown> = { type: 'matrix-event', event_type: eventType };
  if (eventType === MESSAGE) {
    if (f.trigger === 'prefix') filter.prefix = f.prefix.trim();
    if (f.trigger === 'mention') filter.mention = f.mention.trim() || true;
    if (f.trigger === 'regex') {
      filter.regex = f.regex;
      if (f.flags.trim()) filter.flags = f.flags.trim();
    }
    if (f.msgtype.trim()) filter.msgtype = f.msgtype.trim();
  } else if (eventType === BOT_TRIGGER || f.contentType.trim()) {
    filter.content_type = f.contentType.trim();
  }
  return filter;
}

/** One line describing a filter, for the command list. */
export function describeFilter(filter: Record<string, unknown>): string {
  const type = typeof filter.event_type === 'string' ? filter.event_type : '?';
  const parts = [type];
  if (typeof filter.prefix === 'string') parts.push(`prefix ${filter.prefix}`);
  if (filter.mention === true) parts.push('mentions the bot runner');
  else if (typeof filter.mention === 'string') parts.push(`mentions ${filter.mention}`);
  if (typeof filter.regex === 'string') parts.push(`regex /${filter.regex}/${typeof filter.flags === 'string' ? filter.flags : ''}`);
  if (typeof filter.msgtype === 'string') parts.push(`msgtype ${filter.msgtype}`);
  if (typeof filter.content_type === 'string') parts.push(`content type ${filter.content_type}`);
  return parts.join(' · ');
}

/** The "Add command" form; `onAdded` reloads the lists. */
export function CommandForm({ registrations, onAdded }: { registrations: BotRegistration[]; onAdded: () => Promise<void> }) {
  const [fields, setFields] = useState<FilterFields>(EMPTY);
  const [botId, setBotId] = useState('');
  const [command, setCommand] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = <K extends keyof FilterFields>(key: K, value: FilterFields[K]) => setFields((f) => ({ ...f, [key]: value }));
  const chosen = registrations.some((r) => r.id === botId) ? botId : (registrations[0]?.id ?? '');
  const filter = buildFilter(fields);
  const eventType = filter.event_type;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await bots.addCommand(chosen, command.trim(), filter);
      setCommand('');
      setFields((f) => ({ ...EMPTY, eventType: f.eventType, trigger: f.trigger }));
      await onAdded();
    } catch (e) {
      setError(errorText(e, 'Could not add the command.'));
    } finally {
      setBusy(false);
    }
  }

  if (!registrations.length) return <p className="notice">Add a registration first: commands belong to one.</p>;
  return (
    <form className="inline" aria-labelledby="add-command-title" onSubmit={(e) => void submit(e)}>
      <label htmlFor="command-bot">Registration</label>
      <select id="command-bot" value={chosen} onChange={(e) => setBotId(e.target.value)}>
        {registrations.map((r) => (
          <option key={r.id} value={r.id}>
            {r.username} · {r.id.slice(0, 8)}
            {r.global ? ' · global' : ''}
          </option>
        ))}
      </select>
      <label htmlFor="command-string">Command</label>
      <div>
        <input id="command-string" value={command} onChange={(e) => setCommand(e.target.value)} required placeholder="echo" aria-describedby="command-hint" />
        <p className="hint" id="command-hint">
          <code>echo</code>, <code>help</code>, <code>agent:&lt;id&gt;/&lt;skill&gt;</code> or a webhook URL (<code>https://…</code>).
        </p>
      </div>
      <label htmlFor="filter-event-type">Event type</label>
      <select id="filter-event-type" value={fields.eventType} onChange={(e) => set('eventType', e.target.value)}>
        <option value={MESSAGE}>m.room.message (a message)</option>
        <option value={BOT_TRIGGER}>app.boxel.bot-trigger (the original&apos;s trigger)</option>
        <option value={OTHER}>another event type…</option>
      </select>
      {fields.eventType === OTHER && (
        <>
          <label htmlFor="filter-custom-type">Custom event type</label>
          <input id="filter-custom-type" value={fields.customType} onChange={(e) => set('customType', e.target.value)} required placeholder="org.example.ping" />
        </>
      )}
      {eventType === MESSAGE && (
        <>
          <label htmlFor="filter-trigger">Trigger</label>
          <select id="filter-trigger" value={fields.trigger} onChange={(e) => set('trigger', e.target.value as FilterFields['trigger'])}>
            <option value="prefix">starts with a prefix</option>
            <option value="mention">mentions someone</option>
            <option value="regex">matches a regex</option>
          </select>
          {fields.trigger === 'prefix' && (
            <>
              <label htmlFor="filter-prefix">Prefix</label>
              <input id="filter-prefix" value={fields.prefix} onChange={(e) => set('prefix', e.target.value)} placeholder="!echo" />
            </>
          )}
          {fields.trigger === 'mention' && (
            <>
              <label htmlFor="filter-mention">Mentioned user</label>
              <input id="filter-mention" value={fields.mention} onChange={(e) => set('mention', e.target.value)} placeholder="empty: the bot runner" />
            </>
          )}
          {fields.trigger === 'regex' && (
            <>
              <label htmlFor="filter-regex">Regex</label>
              <input id="filter-regex" value={fields.regex} onChange={(e) => set('regex', e.target.value)} placeholder="^weather (.+)$" />
              <label htmlFor="filter-flags">Regex flags</label>
              <input id="filter-flags" value={fields.flags} onChange={(e) => set('flags', e.target.value)} placeholder="i, m, s, u" />
            </>
          )}
          <label htmlFor="filter-msgtype">Msgtype (optional)</label>
          <input id="filter-msgtype" value={fields.msgtype} onChange={(e) => set('msgtype', e.target.value)} placeholder="m.text" />
        </>
      )}
      {eventType !== MESSAGE && (
        <>
          <label htmlFor="filter-content-type">{eventType === BOT_TRIGGER ? 'Content type' : 'Content type (optional)'}</label>
          <input id="filter-content-type" value={fields.contentType} onChange={(e) => set('contentType', e.target.value)} placeholder="content.type" />
        </>
      )}
      <span className="muted">Filter</span>
      <pre aria-label="Filter JSON">{JSON.stringify(filter)}</pre>
      <button type="submit" disabled={busy}>
        Add command
      </button>
      {error && (
        <p className="error" role="alert" style={{ gridColumn: '1 / -1' }}>
          {error}
        </p>
      )}
    </form>
  );
}
