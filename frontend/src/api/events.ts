/** Live design events from the server's websocket (`/ws/events/`): who changed the design being looked at. */

export interface DesignChangedEvent {
  type: 'design.changed';
  design: number;
  user?: string;
  action?: string;
  object_type?: string;
  object_id?: number;
}

const MAX_RETRIES = 5;

/**
 * Watch one design; returns a function that stops watching. Without a websocket endpoint (a plain
 * WSGI server) it gives up quietly after a few tries: the designer works the same, minus the notices.
 */
export function watchDesign(designId: number, onChange: (event: DesignChangedEvent) => void): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let retries = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    if (stopped || typeof WebSocket === 'undefined') return;
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/events/`);
    socket.onopen = () => {
      retries = 0;
      socket?.send(JSON.stringify({ action: 'watch', design: designId }));
    };
    socket.onmessage = (message) => {
      try {
        const event = JSON.parse(String(message.data)) as { type?: string; design?: number };
        if (event.type === 'design.changed' && event.design === designId) onChange(event as DesignChangedEvent);
      } catch {
        // not an event of ours
      }
    };
    socket.onclose = () => {
      socket = null;
      if (!stopped && retries++ < MAX_RETRIES) timer = setTimeout(open, 2000 * retries);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
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

/**
 * Follow the user's notifications (`change_request.*` events); returns a function that stops. Like
 * `watchDesign`, it gives up quietly after a few tries where no websocket endpoint answers.
 */
export function watchNotifications(onEvent: (event: ChangeRequestEvent) => void, onOpen?: () => void): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let retries = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    if (stopped || typeof WebSocket === 'undefined') return;
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/events/`);
    socket.onmessage = (message) => {
      try {
        const event = JSON.parse(String(message.data)) as { type?: string };
        if (event.type === 'hello') {
          retries = 0;
          onOpen?.();
        } else if (event.type === 'change_request.review_requested' || event.type === 'change_request.state') {
          onEvent(event as ChangeRequestEvent);
        }
      } catch {
        // not an event of ours
      }
    };
    socket.onclose = () => {
      socket = null;
      if (!stopped && retries++ < MAX_RETRIES) timer = setTimeout(open, 2000 * retries);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}
