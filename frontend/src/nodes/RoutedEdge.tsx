import { memo } from 'react';
import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath, type Edge, type EdgeProps } from '@xyflow/react';
import type { Point } from '../model/route';

export type RoutedEdgeData = { points?: Point[]; labelAt?: Point };
export type RoutedEdge = Edge<RoutedEdgeData, 'routed'>;

/** How far React Flow's measured handle may be from where the route starts for the route still to be used. */
const SNAP = 10;
const RADIUS = 6;

/** An SVG path through orthogonal points with rounded corners. */
export function roundedPath(points: Point[]): string {
  let d = `M ${points[0].x} ${points[0].y}`;
  for (let k = 1; k < points.length - 1; k++) {
    const [a, b, c] = [points[k - 1], points[k], points[k + 1]];
    const r = Math.min(RADIUS, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const before = { x: b.x - Math.sign(b.x - a.x) * r, y: b.y - Math.sign(b.y - a.y) * r };
    const after = { x: b.x + Math.sign(c.x - b.x) * r, y: b.y + Math.sign(c.y - b.y) * r };
    d += ` L ${before.x} ${before.y} Q ${b.x} ${b.y} ${after.x} ${after.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L ${last.x} ${last.y}`;
}

/** The route with its ends moved onto the handles React Flow measured (they differ by a pixel or two). */
function snapped(points: Point[], sx: number, sy: number, tx: number, ty: number): Point[] | null {
  const first = points[0];
  const last = points[points.length - 1];
  if (Math.abs(first.x - sx) > SNAP || Math.abs(first.y - sy) > SNAP || Math.abs(last.x - tx) > SNAP || Math.abs(last.y - ty) > SNAP) return null;
  const out = points.map((p) => ({ ...p }));
  const n = out.length;
  if (out[1].x === first.x) out[1].x = sx;
  if (n > 2 && out[n - 2].x === last.x) out[n - 2].x = tx;
  out[0] = { x: sx, y: sy };
  out[n - 1] = { x: tx, y: ty };
  return out;
}

/**
 * An edge drawn along the route the graph computed around the boxes it does not belong to (also while
 * nodes are dragged: the designer routes the edges that change again); a plain step path when it has none.
 */
export const RoutedEdgeView = memo(function RoutedEdgeView(props: EdgeProps<RoutedEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, label, style, markerEnd, interactionWidth } = props;
  const points = data?.points && data.points.length >= 2 ? snapped(data.points, sourceX, sourceY, targetX, targetY) : null;
  let path: string;
  let at: Point;
  if (points) {
    path = roundedPath(points);
    at = data?.labelAt ?? { x: (sourceX + targetX) / 2, y: (sourceY + targetY) / 2 };
  } else {
    const [stepPath, lx, ly] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: RADIUS });
    path = stepPath;
    at = { x: lx, y: ly };
  }
  return (
    <>
      <BaseEdge id={id} path={path} style={style} markerEnd={markerEnd} interactionWidth={interactionWidth} />
      {label ? (
        <EdgeLabelRenderer>
          <div className="edge-label" data-testid="edge-label" style={{ transform: `translate(-50%, -50%) translate(${at.x}px, ${at.y}px)` }}>
            {label}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
});
