/** Live events from the server's websocket (`/ws/events/`), on the tab's one shared socket (`./socket`). */
import { liveSocket } from './socket';

export interface DesignChangedEvent {
  type: 'design.changed';
  design: number;
  user?: string;
  action?: string;
  object_type?: string;
  object_id?: number;
}

/** Watch one design; returns a function that stops watching. */
export function watchDesign(designId: number, onChange: (event: DesignChangedEvent) => void): () => void {
  const stopListening = liveSocket.listen((frame) => {
    if (frame.type === 'design.changed' && frame.design === designId) onChange(frame as DesignChangedEvent);
  });
  const stopWatching = liveSocket.watchDesign(designId);
  return () => {
    stopWatching();
    stopListening();
  };
}

/** A change request waits for the user's review, or one of theirs changed state. */
export interface ChangeRequestEvent {
  type: 'change_request.review_requested' | 'change_request.state';
  id: number;
  design: number;
  number: number;
  title: string;
  from_state: string;
  state: string;
  by: string;
}

/** Follow the user's notifications (`change_request.*` events); `onOpen` each time the socket (re)connects. */
export function watchNotifications(onEvent: (event: ChangeRequestEvent) => void, onOpen?: () => void): () => void {
  return liveSocket.listen((frame) => {
    if (frame.type === 'hello') onOpen?.();
    else if (frame.type === 'change_request.review_requested' || frame.type === 'change_request.state') {
      onEvent(frame as unknown as ChangeRequestEvent);
    }
  });
}
