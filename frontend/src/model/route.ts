/**
 * Orthogonal edge routing around boxes, and edge label placement that keeps labels apart.
 *
 * The diagram's positions are the user's (dragged, stored, or from the auto-layout), so routes are made
 * for the positions as they are: a shortest path with few bends on the grid of the obstacles' (inflated)
 * sides — the classic orthogonal visibility grid — so an edge leaves its node straight, goes around every
 * box it does not belong to, and enters its other end straight.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Side = 'up' | 'down';

/** Clearance kept from boxes, length of the straight bit out of a handle, and what a bend costs (px). */
export const MARGIN = 12;
const STUB = 14;
const BEND = 40;
const SIDEWAYS = 0.0005;
/** More boxes near an edge than this: no route (the caller draws a plain edge). */
export const MAX_OBSTACLES = 48;

const inside = (r: Rect, x: number, y: number) => x > r.x && x < r.x + r.width && y > r.y && y < r.y + r.height;

/** Does the segment a-b (horizontal or vertical) pass through the inside of r? */
export function segmentCrosses(a: Point, b: Point, r: Rect): boolean {
  if (a.y === b.y) {
    const [x1, x2] = a.x < b.x ? [a.x, b.x] : [b.x, a.x];
    return a.y > r.y && a.y < r.y + r.height && Math.max(x1, r.x) < Math.min(x2, r.x + r.width);
  }
  if (a.x === b.x) {
    const [y1, y2] = a.y < b.y ? [a.y, b.y] : [b.y, a.y];
    return a.x > r.x && a.x < r.x + r.width && Math.max(y1, r.y) < Math.min(y2, r.y + r.height);
  }
  // Not axis-parallel (should not happen): test a few points along it.
  for (let t = 0; t <= 1; t += 0.05) if (inside(r, a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)) return true;
  return false;
}

const inflate = (r: Rect, m: number): Rect => ({ x: r.x - m, y: r.y - m, width: r.width + 2 * m, height: r.height + 2 * m });
const uniqueSorted = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);

/** A tiny binary heap of [cost, state]. */
class Heap {
  private items: [number, number][] = [];
  get size() {
    return this.items.length;
  }
  push(item: [number, number]) {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p][0] <= a[i][0]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): [number, number] {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l][0] < a[m][0]) m = l;
        if (r < a.length && a[r][0] < a[m][0]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The bends of an orthogonal route from `source` (leaving towards `sourceSide`) to `target` (entered from
 * `targetSide`) around `obstacles`, ends included; null when there is none (or too many boxes around).
 */
export function routeEdge(source: Point, sourceSide: Side, target: Point, targetSide: Side, obstacles: Rect[], turnAt?: number): Point[] | null {
  // The graph is built again on every selection and edit; most routes are the same as before.
  const key = `${source.x},${source.y},${sourceSide},${target.x},${target.y},${targetSide},${turnAt}|${obstacles.map((r) => `${r.x},${r.y},${r.width},${r.height}`).join(';')}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const route = computeRoute(source, sourceSide, target, targetSide, obstacles, turnAt);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, route);
  return route;
}

const CACHE_SIZE = 20_000;
const cache = new Map<string, Point[] | null>();

function computeRoute(source: Point, sourceSide: Side, target: Point, targetSide: Side, obstacles: Rect[], turnAt?: number): Point[] | null {
  // Boxes close together (a guest right under its switch): less clearance rather than no route.
  for (const margin of [MARGIN, 5, 1]) {
    const route = routeWith(source, sourceSide, target, targetSide, obstacles, margin, turnAt);
    if (route !== undefined) return route;
  }
  // An end inside another box (a host dragged onto another): around the rest, rather than no route.
  const clear = obstacles.filter((r) => !inside(inflate(r, 2 + STUB), source.x, source.y) && !inside(inflate(r, 2 + STUB), target.x, target.y));
  return clear.length < obstacles.length ? (routeWith(source, sourceSide, target, targetSide, clear, 1, turnAt) ?? null) : null;
}

/**
 * The route with this clearance; undefined when an end is too close to a box for it, null when there is none.
 * `turnAt`: the height the step sideways is wanted at (edges from different sources each in their own
 * channel rather than on top of each other), if it lies between the ends.
 */
function routeWith(source: Point, sourceSide: Side, target: Point, targetSide: Side, obstacles: Rect[], margin: number, turnAt?: number): Point[] | null | undefined {
  const stub = Math.min(STUB, margin + 2);
  const s1 = { x: source.x, y: source.y + (sourceSide === 'up' ? -stub : stub) };
  const t1 = { x: target.x, y: target.y + (targetSide === 'up' ? -stub : stub) };
  const near = inflate(
    { x: Math.min(s1.x, t1.x), y: Math.min(s1.y, t1.y), width: Math.abs(s1.x - t1.x), height: Math.abs(s1.y - t1.y) },
    400,
  );
  const boxes = obstacles
    .filter((r) => r.x < near.x + near.width && r.x + r.width > near.x && r.y < near.y + near.height && r.y + r.height > near.y)
    .map((r) => inflate(r, margin));
  if (boxes.length > MAX_OBSTACLES) return null;
  if (boxes.some((r) => inside(r, s1.x, s1.y) || inside(r, t1.x, t1.y))) return undefined;

  // The common case first: straight, or one step sideways halfway (what a step edge draws), when free.
  const between = turnAt !== undefined && turnAt > Math.min(s1.y, t1.y) && turnAt < Math.max(s1.y, t1.y);
  const midY = between ? turnAt : (s1.y + t1.y) / 2;
  // Only when that leaves the source the way it faces and enters the target the way it faces.
  const downwards = t1.y >= s1.y;
  const upwards = t1.y <= s1.y;
  const leaves = sourceSide === 'up' ? upwards : downwards;
  const enters = targetSide === 'up' ? downwards : upwards;
  if (leaves && enters) {
    const simple = s1.x === t1.x ? [s1, t1] : [s1, { x: s1.x, y: midY }, { x: t1.x, y: midY }, t1];
    if (!simple.slice(1).some((b, k) => boxes.some((r) => segmentCrosses(simple[k], b, r)))) return simplify([source, ...simple, target]);
  }

  const xs = uniqueSorted([s1.x, t1.x, (s1.x + t1.x) / 2, ...boxes.flatMap((r) => [r.x, r.x + r.width])]);
  const ys = uniqueSorted([s1.y, t1.y, midY, ...boxes.flatMap((r) => [r.y, r.y + r.height])]);
  const nx = xs.length;
  const ny = ys.length;
  // Blocked steps: from (i, j) to (i+1, j) and to (i, j+1).
  const blockedRight = new Uint8Array(nx * ny);
  const blockedDown = new Uint8Array(nx * ny);
  const index = (v: number, list: number[]) => list.indexOf(v);
  // Each box's sides are grid lines: the steps between them, on the lines strictly inside, are blocked.
  for (const r of boxes) {
    const [i0, i1, j0, j1] = [index(r.x, xs), index(r.x + r.width, xs), index(r.y, ys), index(r.y + r.height, ys)];
    for (let j = j0 + 1; j < j1; j++) for (let i = i0; i < i1; i++) blockedRight[i * ny + j] = 1;
    for (let i = i0 + 1; i < i1; i++) for (let j = j0; j < j1; j++) blockedDown[i * ny + j] = 1;
  }
  const [si, sj, ti, tj] = [index(s1.x, xs), index(s1.y, ys), index(t1.x, xs), index(t1.y, ys)];
  // Directions: 0 right, 1 left, 2 down, 3 up. The first step may not turn back into the source's node.
  const DX = [1, -1, 0, 0];
  const DY = [0, 0, 1, -1];
  const back = sourceSide === 'up' ? 2 : 3;
  const arrive = targetSide === 'up' ? 2 : 3; // the last step into t1 heads towards the target
  const states = nx * ny * 4;
  const cost = new Float64Array(states).fill(Infinity);
  const from = new Int32Array(states).fill(-1);
  const heap = new Heap();
  const startDir = sourceSide === 'up' ? 3 : 2;
  const start = (si * ny + sj) * 4 + startDir;
  cost[start] = 0;
  // A*: the Manhattan distance to the target never overestimates what is left.
  const rest = (i: number, j: number) => Math.abs(xs[i] - t1.x) + Math.abs(ys[j] - t1.y);
  heap.push([rest(si, sj), start]);
  let end = -1;
  while (heap.size) {
    const [f, state] = heap.pop();
    const dir = state & 3;
    const cell = state >> 2;
    const i = Math.floor(cell / ny);
    const j = cell % ny;
    const c = cost[state];
    if (f > c + rest(i, j) + 1e-9) continue;
    if (i === ti && j === tj) {
      // Entering the target against its side costs a bend, like any other turn.
      if (dir === arrive || c === 0) {
        end = state;
        break;
      }
    }
    for (let d = 0; d < 4; d++) {
      if (state === start && d === back) continue;
      const ni = i + DX[d];
      const nj = j + DY[d];
      if (ni < 0 || nj < 0 || ni >= nx || nj >= ny) continue;
      const blocked = d === 0 ? blockedRight[i * ny + j] : d === 1 ? blockedRight[ni * ny + nj] : d === 2 ? blockedDown[i * ny + j] : blockedDown[ni * ny + nj];
      if (blocked) continue;
      const next = (ni * ny + nj) * 4 + d;
      let step = Math.abs(xs[ni] - xs[i]) + Math.abs(ys[nj] - ys[j]);
      // Among routes as short, turn sideways near the source (or at the height asked for): edges from
      // different sources then run in different channels (a LAN's under the LAN, a segment's under the
      // segment) instead of one.
      if (d < 2) step += Math.abs(ys[j] - (between ? midY : s1.y)) * Math.abs(xs[ni] - xs[i]) * SIDEWAYS;
      if (d !== dir) step += BEND;
      if (ni === ti && nj === tj && d !== arrive) step += BEND;
      if (c + step < cost[next]) {
        cost[next] = c + step;
        from[next] = state;
        heap.push([c + step + rest(ni, nj), next]);
      }
    }
  }
  if (end < 0) {
    // The target cell reached only against its side: accept the cheapest arrival.
    let best = Infinity;
    for (let d = 0; d < 4; d++) {
      const state = (ti * ny + tj) * 4 + d;
      if (cost[state] < best) [best, end] = [cost[state], state];
    }
    if (end < 0 || best === Infinity) return null;
  }
  const cells: Point[] = [];
  for (let state = end; state >= 0; state = from[state]) {
    const cell = state >> 2;
    cells.push({ x: xs[Math.floor(cell / ny)], y: ys[cell % ny] });
  }
  cells.reverse();
  return simplify([source, ...cells, target]);
}

/** Drop repeated points and the middle of three in a line. */
export function simplify(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last.x === p.x && last.y === p.y) continue;
    const before = out[out.length - 2];
    if (before && last && ((before.x === last.x && last.x === p.x) || (before.y === last.y && last.y === p.y))) out.pop();
    out.push(p);
  }
  return out;
}

/** A label's box when its centre is at `at`. */
export function labelBox(text: string, at: Point): Rect {
  const width = text.length * 6.4 + 12;
  const height = 18;
  return { x: at.x - width / 2, y: at.y - height / 2, width, height };
}

export const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Where each edge's label goes: on a straight part of its route, clear of the other labels and of the
 * boxes given (nodes) and of the labels already `taken`; the first candidate that fits, else the one that
 * overlaps least.
 */
export function placeLabels(edges: { id: string; text: string; points: Point[] }[], boxes: Rect[], taken: readonly Rect[] = []): Record<string, Point> {
  const placed: Rect[] = [...taken];
  const out: Record<string, Point> = {};
  for (const edge of edges) {
    if (!edge.text || edge.points.length < 2) continue;
    const candidates: Point[] = [];
    // Near the end the label names (a member's interface on its host, a NIC's address): the last straight
    // part first, then the others from the end back.
    const segments = edge.points.slice(1).map((b, k) => [edge.points[k], b] as const).reverse();
    for (const [a, b] of segments)
      for (const t of [0.5, 0.3, 0.7, 0.15, 0.85, 0.4, 0.6, 0.22, 0.78])
        candidates.push({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });
    let best = candidates[0];
    let bestScore = Infinity;
    for (const c of candidates) {
      const box = labelBox(edge.text, c);
      const score = placed.filter((p) => overlaps(p, box)).length * 10 + boxes.filter((b) => overlaps(b, box)).length;
      if (score < bestScore) [best, bestScore] = [c, score];
      if (score === 0) break;
    }
    placed.push(labelBox(edge.text, best));
    out[edge.id] = best;
  }
  return out;
}
