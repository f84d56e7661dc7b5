// The Rooms page's reducer (web/src/pages/rooms/room-state.ts), pure: sync responses folded into
// rooms, invites and pending messages; history pages prepended once; names falling back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRooms, reduceRooms, roomLabel, type MatrixEvent, type RoomsState } from '../../web/src/pages/rooms/room-state.ts';

const ME = '@me:localhost';
let n = 0;
const ev = (type: string, content: Record<string, unknown>, extra: Partial<MatrixEvent> = {}): MatrixEvent => ({
  event_id: `$${++n}`,
  type,
  sender: '@ann:localhost',
  origin_server_ts: 1_000 + n,
  content,
  ...extra,
});
const sync = (state: RoomsState, rooms: object) => reduceRooms(state, { type: 'sync', me: ME, response: { next_batch: 's', rooms } });

test('a sync brings invites, then the joined room replaces the invite; a leave removes the room', () => {
  let s = sync(emptyRooms, {
    invite: {
      '!a:localhost': {
        invite_state: {
          events: [
            { type: 'm.room.name', sender: '@ann:localhost', state_key: '', content: { name: 'Plans' } },
            { type: 'm.room.member', sender: '@ann:localhost', state_key: ME, content: { membership: 'invite' } },
          ],
        },
      },
    },
  });
  assert.deepEqual(s.invites['!a:localhost'], { roomId: '!a:localhost', name: 'Plans', inviter: '@ann:localhost' });

  const hello = ev('m.room.message', { msgtype: 'm.text', body: 'hi' });
  s = sync(s, { join: { '!a:localhost': { state: { events: [ev('m.room.name', { name: 'Plans' }, { state_key: '' })] }, timeline: { events: [hello], prev_batch: 'p1' } } } });
  assert.equal(s.invites['!a:localhost'], undefined);
  assert.equal(roomLabel(s.rooms['!a:localhost']!), 'Plans');
  assert.equal(s.rooms['!a:localhost']!.prevBatch, 'p1');

  // The same event again (a retried sync) shows once.
  s = sync(s, { join: { '!a:localhost': { timeline: { events: [hello] } } } });
  assert.equal(s.rooms['!a:localhost']!.events.length, 1);

  s = sync(s, { leave: { '!a:localhost': {} } });
  assert.deepEqual(s.rooms, {});
});

test('a pending message goes when the sync brings its transaction id or its event id back', () => {
  let s = reduceRooms(emptyRooms, { type: 'created', roomId: '!b:localhost', name: 'B' });
  s = reduceRooms(s, { type: 'sending', pending: { txnId: 't1', roomId: '!b:localhost', body: 'one' } });
  s = reduceRooms(s, { type: 'sending', pending: { txnId: 't2', roomId: '!b:localhost', body: 'two' } });
  s = reduceRooms(s, { type: 'sent', txnId: 't2', eventId: '$two' });
  s = sync(s, {
    join: {
      '!b:localhost': {
        timeline: {
          events: [ev('m.room.message', { body: 'one' }, { sender: ME, unsigned: { transaction_id: 't1' } }), ev('m.room.message', { body: 'two' }, { event_id: '$two', sender: ME })],
        },
      },
    },
  });
  assert.deepEqual(s.pending, []);
  // The send answering after the sync brought the event back leaves nothing pending either.
  s = reduceRooms(s, { type: 'sending', pending: { txnId: 't3', roomId: '!b:localhost', body: 'three' } });
  s = sync(s, { join: { '!b:localhost': { timeline: { events: [ev('m.room.message', { body: 'three' }, { event_id: '$three', sender: ME })] } } } });
  s = reduceRooms(s, { type: 'sent', txnId: 't3', eventId: '$three' });
  assert.deepEqual(s.pending, []);
  assert.equal(s.rooms['!b:localhost']!.name, 'B');
});

test('older pages are prepended oldest first, once, until the room starts', () => {
  const create = ev('m.room.create', {}, { state_key: '' });
  const [m1, m2, m3] = [1, 2, 3].map((i) => ev('m.room.message', { body: `m${i}` }));
  let s = sync(emptyRooms, { join: { '!c:localhost': { timeline: { events: [m3!], limited: true, prev_batch: 'p3' } } } });
  s = reduceRooms(s, { type: 'older', roomId: '!c:localhost', page: { chunk: [m3!, m2!], start: 'p3', end: 'p2' } });
  assert.deepEqual(s.rooms['!c:localhost']!.events.map((e) => e.content.body), ['m2', 'm3']);
  assert.equal(s.rooms['!c:localhost']!.prevBatch, 'p2');
  s = reduceRooms(s, { type: 'older', roomId: '!c:localhost', page: { chunk: [m1!, create], start: 'p2', end: 'p0' } });
  assert.deepEqual(s.rooms['!c:localhost']!.events.map((e) => e.type), ['m.room.create', 'm.room.message', 'm.room.message', 'm.room.message']);
  assert.equal(s.rooms['!c:localhost']!.prevBatch, null, 'the create event is the start: nothing older');
});

test('a room without a name is called by its canonical alias, else its id', () => {
  assert.equal(roomLabel({ roomId: '!d:localhost', name: null, alias: '#d:localhost' }), '#d:localhost');
  assert.equal(roomLabel({ roomId: '!d:localhost', name: null }), '!d:localhost');
});
