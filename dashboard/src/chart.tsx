// A line chart in SVG, with no library: the interest-rate curve and the health-factor history.

export interface Series {
  /** The line's points, in x order; one whose y is not finite (NaN) is a gap in the line. */
  points: [number, number][];
  label: string;
  color: string;
}

interface Props {
  series: Series[];
  /** A vertical marker (x value) with its label. */
  marker?: { x: number; label: string };
  /** A horizontal reference line (e.g. health factor 1). */
  reference?: { y: number; label: string };
  xLabel: (x: number) => string;
  yLabel: (y: number) => string;
  height?: number;
  testId?: string;
}

/** The stretches of `points` between gaps: a point whose y is not a finite number is a gap. */
function runs(points: [number, number][]): [number, number][][] {
  const out: [number, number][][] = [[]];
  for (const point of points) {
    if (Number.isFinite(point[1])) out[out.length - 1]!.push(point);
    else if (out[out.length - 1]!.length > 0) out.push([]);
  }
  return out.filter((run) => run.length > 0);
}

const W = 560;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

export function LineChart({ series, marker, reference, xLabel, yLabel, height = 220, testId }: Props) {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return <p class="muted">No data yet.</p>;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y).concat(reference ? [reference.y] : []);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(...ys) * 1.08 || 1;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => height - PAD.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => y0 + t * (y1 - y0));
  const xticks = [0, 0.5, 1].map((t) => x0 + t * (x1 - x0));
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${height}`} role="img" data-testid={testId} data-points={testId && JSON.stringify(series.map((s) => s.points))}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={W - PAD.right} y1={sy(t)} y2={sy(t)} class="grid" />
          <text x={PAD.left - 6} y={sy(t) + 4} text-anchor="end">{yLabel(t)}</text>
        </g>
      ))}
      {xticks.map((t) => (
        <text key={t} x={sx(t)} y={height - 8} text-anchor="middle">{xLabel(t)}</text>
      ))}
      {reference && (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={sy(reference.y)} y2={sy(reference.y)} class="reference" />
          <text x={W - PAD.right} y={sy(reference.y) - 4} text-anchor="end" class="reference-label">{reference.label}</text>
        </g>
      )}
      {series.flatMap((s) =>
        runs(s.points).map((run, i) => (
          <polyline
            key={`${s.label}-${i}`}
            fill="none"
            stroke={s.color}
            stroke-width="2"
            points={run.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}
          />
        )),
      )}
      {marker && (
        <g data-testid={testId && `${testId}-marker`}>
          <line x1={sx(marker.x)} x2={sx(marker.x)} y1={PAD.top} y2={height - PAD.bottom} class="marker" />
          <text x={Math.min(sx(marker.x) + 4, W - 120)} y={PAD.top + 12} class="marker-label">{marker.label}</text>
        </g>
      )}
      <g class="legend">
        {series.map((s, i) => (
          <text key={s.label} x={W - PAD.right - 8 - i * 110} y={PAD.top + 12} text-anchor="end" fill={s.color}>{s.label}</text>
        ))}
      </g>
    </svg>
  );
}
