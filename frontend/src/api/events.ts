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
