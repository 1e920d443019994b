// Play events on their way to the edge (POST /v1/plays). Each event is kept in localStorage until
// the edge has taken it, so an edge that restarts or a wifi that drops loses none; the edge stores
// each event id once, so sending one twice is harmless.
//
//   const queue = new PlayQueue();   queue.add({ event_id, lesson_id, rendition, seconds, started_at });
//   queue.flush()                    sends what waits, oldest first (also every 10 s and when online)

const kKey = 'lessonmesh.classroom.pending_plays';
const kRetryMs = 10000;
const kMaxKept = 2000;

export class PlayQueue {
  constructor() {
    this.sending = false;
    setInterval(() => this.flush(), kRetryMs);
    window.addEventListener('online', () => this.flush());
    this.flush();
  }

  pending() {
    try {
      const v = JSON.parse(localStorage.getItem(kKey) || '[]');
      return Array.isArray(v) ? v : [];
    } catch {
      return [];
    }
  }

  save(events) {
    localStorage.setItem(kKey, JSON.stringify(events.slice(-kMaxKept)));
  }

  add(event) {
    this.save([...this.pending(), event]);
    return this.flush();
  }

  // The page is going away: hand what waits to the browser, which sends it after the page is gone.
  // The events stay queued until a later page sees the edge take them.
  beacon() {
    if (!navigator.sendBeacon) return;
    for (const e of this.pending()) {
      navigator.sendBeacon('/v1/plays', new Blob([JSON.stringify(e)], { type: 'application/json' }));
    }
  }

  async flush() {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const [next] = this.pending();
        if (!next) return;
        let res;
        try {
          res = await fetch('/v1/plays', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(next) });
        } catch {
          return;  // the edge is unreachable: try again later
        }
        if (res.status >= 500 || res.status === 429) return;
        // Taken (201), already there (200), or refused for good (4xx): it leaves the queue.
        this.save(this.pending().filter((e) => e.event_id !== next.event_id));
      }
    } finally {
      this.sending = false;
    }
  }
}
