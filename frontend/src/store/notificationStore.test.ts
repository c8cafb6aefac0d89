import { describe, expect, it } from 'vitest';
import { describeEvent, useNotificationStore } from './notificationStore';

const event = { id: 7, design: 1, number: 3, title: 'Move vnetcage', from_state: 'draft', state: 'submitted', by: 'dana' };

describe('notifications', () => {
  it('says who asks for a review, and what a request became', () => {
    expect(describeEvent({ ...event, type: 'change_request.review_requested' })).toBe('dana asks for your review of #3 “Move vnetcage”');
    expect(describeEvent({ ...event, type: 'change_request.state', state: 'changes_requested', by: 'alex' })).toBe(
      '#3 “Move vnetcage” is now changes requested (by alex)',
    );
  });

  it('keeps the newest first, as a toast, unread until the list is opened', () => {
    const store = useNotificationStore.getState();
    store.add({ ...event, type: 'change_request.review_requested' });
    store.add({ ...event, id: 8, type: 'change_request.state', state: 'approved' });
    const { items, toast, lastEvent } = useNotificationStore.getState();
    expect(items.map((i) => i.requestId)).toEqual([8, 7]);
    expect(toast?.requestId).toBe(8);
    expect(lastEvent?.id).toBe(8);
    useNotificationStore.getState().markAllRead();
    expect(useNotificationStore.getState().items.every((i) => i.read)).toBe(true);
  });
});
