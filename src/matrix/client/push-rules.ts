/**
 * The spec's predefined push rules (client-server spec "Predefined Rules"), served read-only by
 * `GET /pushrules/`: clients need the rule set to decide what to highlight; Orrery sends no pushes.
 */

type Condition = Record<string, unknown>;
interface Rule {
  rule_id: string;
  default: true;
  enabled: boolean;
  conditions?: Condition[];
  pattern?: string;
  actions: unknown[];
}

const notify = (sound?: string, highlight = false): unknown[] => [
  'notify',
  ...(sound ? [{ set_tweak: 'sound', value: sound }] : []),
  ...(highlight ? [{ set_tweak: 'highlight' }] : [{ set_tweak: 'highlight', value: false }]),
];
const rule = (rule_id: string, actions: unknown[], conditions: Condition[] = [], enabled = true): Rule => ({ rule_id, default: true, enabled, conditions, actions });
const match = (key: string, pattern: string): Condition => ({ kind: 'event_match', key, pattern });

/** The default `global` rule set for `userId`. */
export function defaultPushRules(userId: string, serverName: string): Record<string, Rule[]> {
  const localpart = userId.slice(1).split(':')[0] ?? userId;
  void serverName;
  return {
    override: [
      rule('.m.rule.master', [], [], false),
      rule('.m.rule.suppress_notices', [], [match('content.msgtype', 'm.notice')]),
      rule('.m.rule.invite_for_me', notify('default'), [match('type', 'm.room.member'), match('content.membership', 'invite'), match('state_key', userId)]),
      rule('.m.rule.member_event', [], [match('type', 'm.room.member')]),
      rule('.m.rule.is_user_mention', notify('default', true), [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }]),
      rule('.m.rule.is_room_mention', notify(undefined, true), [{ kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true }, { kind: 'sender_notification_permission', key: 'room' }]),
      rule('.m.rule.tombstone', notify(undefined, true), [match('type', 'm.room.tombstone'), match('state_key', '')]),
      rule('.m.rule.reaction', [], [match('type', 'm.reaction')]),
      rule('.m.rule.room.server_acl', [], [match('type', 'm.room.server_acl'), match('state_key', '')]),
      rule('.m.rule.suppress_edits', [], [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }]),
    ],
    content: [{ rule_id: '.m.rule.contains_user_name', default: true, enabled: true, pattern: localpart, actions: notify('default', true) }],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', notify('ring'), [match('type', 'm.call.invite')]),
      rule('.m.rule.encrypted_room_one_to_one', notify('default'), [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.encrypted')]),
      rule('.m.rule.room_one_to_one', notify('default'), [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.message')]),
      rule('.m.rule.message', notify(), [match('type', 'm.room.message')]),
      rule('.m.rule.encrypted', notify(), [match('type', 'm.room.encrypted')]),
    ],
  };
}
