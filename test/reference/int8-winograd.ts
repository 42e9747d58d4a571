/**
 * Plain-TypeScript references for the int8 Winograd kernels (assembly/i8-winograd.ts: 2-D
 * F(2×2, 3×3) and F(4×4, 3×3); assembly/i8-winograd-1d.ts: 1-D F(2, 7) and F(4, 3)), written from
 * the integer matrices, not from the kernels' factorisation: plain matrix products in JS numbers
 * (exact: every value < 2⁵³). The transformed values V and U′ must equal the kernels' exactly;
 * the accumulators the Winograd route gives must equal the direct sums (a check of the matrices);
 * the kernels' outputs are compared with int8.ts's direct-convolution references.
 */

/** The integer matrices of one int8 Winograd tile: Bᵀ, the scaled G (row i = s_i·G_i) and Aᵀ. */
export interface WinogradMatrices {
  bt: number[][];
  /** s_i·G (integer); U′ = (SG) g (SG)ᵀ. */
  sg: number[][];
  /** The row scales s_i. */
  s: number[];
  at: number[][];
}

/** F(2×2, 3×3) (Lavin & Gray; G doubled) and F(4×4, 3×3) (points 0, ±1, ±2, ∞; G's rows scaled by 4, 6, 6, 24, 24, 1). */
export const WINOGRAD: Readonly<Record<2 | 4, WinogradMatrices>> = {
  2: {
    bt: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    sg: [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]],
    s: [2, 2, 2, 2],
    at: [[1, 1, 1, 0], [0, 1, -1, -1]],
  },
  4: {
    bt: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
    sg: [[1, 0, 0], [-1, -1, -1], [-1, 1, -1], [1, 2, 4], [1, -2, 4], [0, 0, 1]],
    s: [4, 6, 6, 24, 24, 1],
    at: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
  },
};

/** A stride-1 3×3 conv's geometry: bottom/right padding follows from outH/outW. */
export interface Winograd3x3Geometry {
  inH: number;
  inW: number;
  channels: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/**
 * V[ξ][q][c] = (Bᵀ d B)[i][j], ξ = α·i + j, for the tiles q = (ty − tyStart)·tilesW + tx of tile
 * rows [tyStart, tyEnd), d = the α × α patch of input rows tile·ty − padTop …, columns
 * tile·tx − padLeft … minus `zero` (0 outside the image). `input` dense `[inH][inW][channels]` u8.
 * Throws if a value leaves i16 (the kernel stores V as i16).
 */
export function i8WinogradInputRef(
  input: ArrayLike<number>, g: Winograd3x3Geometry, zero: number, tyStart: number, tyEnd: number, tile: 2 | 4 = 2,
): Int16Array {
  const { bt } = WINOGRAD[tile];
  const alpha = tile + 2;
  const tilesW = Math.ceil(g.outW / tile);
  const tiles = (tyEnd - tyStart) * tilesW;
  const v = new Int16Array(alpha * alpha * tiles * g.channels);
  for (let ty = tyStart; ty < tyEnd; ty++) {
    for (let tx = 0; tx < tilesW; tx++) {
      const q = (ty - tyStart) * tilesW + tx;
      for (let c = 0; c < g.channels; c++) {
        const d = (k: number, l: number) => {
          const iy = tile * ty - g.padTop + k;
          const ix = tile * tx - g.padLeft + l;
          return iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW ? input[(iy * g.inW + ix) * g.channels + c] - zero : 0;
        };
        for (let i = 0; i < alpha; i++) {
          for (let j = 0; j < alpha; j++) {
            let sum = 0;
            for (let k = 0; k < alpha; k++) for (let l = 0; l < alpha; l++) sum += bt[i][k] * d(k, l) * bt[j][l];
            if (sum < -32768 || sum > 32767) throw new Error(`i8WinogradInputRef: V = ${sum} leaves i16`);
            v[((alpha * i + j) * tiles + q) * g.channels + c] = sum;
          }
        }
      }
    }
  }
  return v;
}

/** U′[ξ][o][c] = ((SG) g (SG)ᵀ)[i][j] of OIHW `[outChannels][channels][3][3]` weights; throws if a value leaves i16. */
export function i8WinogradWeightsRef(w: ArrayLike<number>, outChannels: number, channels: number, tile: 2 | 4 = 2): Int16Array {
  const { sg } = WINOGRAD[tile];
  const alpha = tile + 2;
  const u = new Int16Array(alpha * alpha * outChannels * channels);
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < channels; c++) {
      const g = (ky: number, kx: number) => w[((o * channels + c) * 3 + ky) * 3 + kx];
      for (let i = 0; i < alpha; i++) {
        for (let j = 0; j < alpha; j++) {
          let sum = 0;
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) sum += sg[i][ky] * g(ky, kx) * sg[j][kx];
          if (sum < -32768 || sum > 32767) throw new Error(`i8WinogradWeightsRef: U′ = ${sum} leaves i16`);
          u[((alpha * i + j) * outChannels + o) * channels + c] = sum;
        }
      }
    }
  }
  return u;
}

/**
 * The conv's accumulators `[outH·outW][outChannels]` by the Winograd route: per tile
 * M′ = Σ_c U′⊙V, M = M′_ij / (s_i s_j), Y = Aᵀ M A — computed as L·Y = Σ Aᵀ_ai Aᵀ_bj M′_ij ·
 * L/(s_i s_j) with L = (max s)², then divided by L (throws unless exact, which the identity
 * guarantees). A test compares them with the direct sums Σ (x − zero)·w to check the matrices.
 */
export function i8WinogradAccRef(v: Int16Array, u: Int16Array, g: Winograd3x3Geometry, outChannels: number, tile: 2 | 4 = 2): number[] {
  const { at, s } = WINOGRAD[tile];
  const alpha = tile + 2;
  const big = Math.max(...s) ** 2;
  const tilesW = Math.ceil(g.outW / tile);
  const tiles = Math.ceil(g.outH / tile) * tilesW;
  const acc = new Array<number>(g.outH * g.outW * outChannels).fill(0);
  for (let q = 0; q < tiles; q++) {
    const ty = Math.floor(q / tilesW);
    const tx = q % tilesW;
    for (let o = 0; o < outChannels; o++) {
      const m = Array.from({ length: alpha * alpha }, (_, xi) => {
        let sum = 0;
        for (let c = 0; c < g.channels; c++) sum += u[(xi * outChannels + o) * g.channels + c] * v[(xi * tiles + q) * g.channels + c];
        return sum;
      });
      for (let dy = 0; dy < tile; dy++) {
        for (let dx = 0; dx < tile; dx++) {
          let y = 0;
          for (let i = 0; i < alpha; i++) for (let j = 0; j < alpha; j++) y += at[dy][i] * at[dx][j] * m[alpha * i + j] * (big / (s[i] * s[j]));
          if (!Number.isSafeInteger(y) || y % big !== 0) throw new Error(`i8WinogradAccRef: ${big}·Y = ${y} is not an exact multiple of ${big}`);
          const oy = tile * ty + dy;
          const ox = tile * tx + dx;
          if (oy < g.outH && ox < g.outW) acc[(oy * g.outW + ox) * outChannels + o] = y / big;
        }
      }
    }
  }
  return acc;
}

/** The integer matrices of an int8 1-D Winograd (i8-winograd-1d.ts): TB (Bᵀ's rows scaled), SG (G's rows scaled), Ã = L·Aᵀ·diag(1/(s_i t_i)). */
export interface Winograd1dMatrices {
  m: number;
  tb: number[][];
  sg: number[][];
  at: number[][];
  /** Y′ = Ã M′ = L·acc. */
  l: number;
}

/** F(2, 7) at points 0, ±1, ±2, ±½, ∞ and F(4, 3) at 0, ±1, ±2, ∞. */
export const WINOGRAD_1D: Readonly<Record<3 | 7, Winograd1dMatrices>> = {
  7: {
    m: 2,
    tb: [
      [-4, 0, 21, 0, -21, 0, 4, 0], [0, 4, 4, -17, -17, 4, 4, 0], [0, -4, 4, 17, -17, -4, 4, 0], [0, 2, 1, -10, -5, 8, 4, 0],
      [0, -2, 1, 10, -5, -8, 4, 0], [0, 4, 8, -5, -10, 1, 2, 0], [0, -4, 8, 5, -10, -1, 2, 0], [0, -4, 0, 21, 0, -21, 0, 4],
    ],
    sg: [
      [-1, 0, 0, 0, 0, 0, 0], [-1, -1, -1, -1, -1, -1, -1], [-1, 1, -1, 1, -1, 1, -1], [1, 2, 4, 8, 16, 32, 64],
      [1, -2, 4, -8, 16, -32, 64], [64, 32, 16, 8, 4, 2, 1], [64, -32, 16, -8, 4, -2, 1], [0, 0, 0, 0, 0, 0, 1],
    ],
    at: [[90, 20, 20, 1, 1, 2, 2, 0], [0, 20, -20, 2, -2, 1, -1, 90]],
    l: 360,
  },
  3: {
    m: 4,
    tb: WINOGRAD[4].bt,
    sg: WINOGRAD[4].sg,
    at: [[6, 4, 4, 1, 1, 0], [0, 4, -4, 2, -2, 0], [0, 4, 4, 4, 4, 0], [0, 4, -4, 8, -8, 24]],
    l: 24,
  },
};

/** A 1×r (axis 'w') or r×1 (axis 'h') stride-1 conv with no padding across the axis: lines along the axis. */
export interface Winograd1dGeometry {
  inH: number;
  inW: number;
  channels: number;
  axis: 'w' | 'h';
  /** Padding before the first position along the axis. */
  pad: number;
  /** Output positions per line. */
  outLen: number;
}

/** Input position k of line l (dense `[inH][inW][C]`): the pixel (l, k) for axis 'w', (k, l) for 'h'. */
function linePixel(g: Winograd1dGeometry, l: number, k: number): number {
  return g.axis === 'w' ? l * g.inW + k : k * g.inW + l;
}

/**
 * V′[i][q][c] = Σ_k TB[i][k]·d_k for the tiles q = (l − line0)·tilesPerLine + t of lines
 * [line0, line1), d_k = input position m·t − pad + k of the line minus `zero` (0 outside [0, inLen)).
 */
export function i8Winograd1dInputRef(input: ArrayLike<number>, g: Winograd1dGeometry, zero: number, line0: number, line1: number, r: 3 | 7): Int16Array {
  const { tb, m } = WINOGRAD_1D[r];
  const alpha = tb.length;
  const inLen = g.axis === 'w' ? g.inW : g.inH;
  const tilesPerLine = Math.ceil(g.outLen / m);
  const tiles = (line1 - line0) * tilesPerLine;
  const v = new Int16Array(alpha * tiles * g.channels);
  for (let l = line0; l < line1; l++) {
    for (let t = 0; t < tilesPerLine; t++) {
      const q = (l - line0) * tilesPerLine + t;
      for (let c = 0; c < g.channels; c++) {
        for (let i = 0; i < alpha; i++) {
          let sum = 0;
          for (let k = 0; k < alpha; k++) {
            const pos = m * t - g.pad + k;
            if (pos >= 0 && pos < inLen) sum += tb[i][k] * (input[linePixel(g, l, pos) * g.channels + c] - zero);
          }
          if (sum < -32768 || sum > 32767) throw new Error(`i8Winograd1dInputRef: V′ = ${sum} leaves i16`);
          v[(i * tiles + q) * g.channels + c] = sum;
        }
      }
    }
  }
  return v;
}

/** U′[i][o][c] = Σ_j SG[i][j]·g_j of OIHW 1×r or r×1 weights (`[outChannels][channels][r]` in memory either way). */
export function i8Winograd1dWeightsRef(w: ArrayLike<number>, outChannels: number, channels: number, r: 3 | 7): Int16Array {
  const { sg } = WINOGRAD_1D[r];
  const alpha = sg.length;
  const u = new Int16Array(alpha * outChannels * channels);
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < alpha; i++) {
        let sum = 0;
        for (let j = 0; j < r; j++) sum += sg[i][j] * w[(o * channels + c) * r + j];
        if (sum < -32768 || sum > 32767) throw new Error(`i8Winograd1dWeightsRef: U′ = ${sum} leaves i16`);
        u[(i * outChannels + o) * channels + c] = sum;
      }
    }
  }
  return u;
}

/**
 * The accumulators `[outH·outW][outChannels]` (dense, pixel order) by the 1-D Winograd route:
 * M′ = Σ_c U′⊙V′, L·acc = Ã M′, divided by L (throws unless exact).
 */
export function i8Winograd1dAccRef(v: Int16Array, u: Int16Array, g: Winograd1dGeometry, lines: number, outChannels: number, r: 3 | 7): number[] {
  const { at, m, l: big } = WINOGRAD_1D[r];
  const alpha = at[0].length;
  const tilesPerLine = Math.ceil(g.outLen / m);
  const tiles = lines * tilesPerLine;
  const outW = g.axis === 'w' ? g.outLen : lines;
  const acc = new Array<number>(lines * g.outLen * outChannels).fill(0);
  for (let q = 0; q < tiles; q++) {
    const line = Math.floor(q / tilesPerLine);
    const t = q % tilesPerLine;
    for (let o = 0; o < outChannels; o++) {
      const mm = Array.from({ length: alpha }, (_, i) => {
        let sum = 0;
        for (let c = 0; c < g.channels; c++) sum += u[(i * outChannels + o) * g.channels + c] * v[(i * tiles + q) * g.channels + c];
        return sum;
      });
      for (let k = 0; k < m; k++) {
        let y = 0;
        for (let i = 0; i < alpha; i++) y += at[k][i] * mm[i];
        if (!Number.isSafeInteger(y) || y % big !== 0) throw new Error(`i8Winograd1dAccRef: ${big}·acc = ${y} is not an exact multiple of ${big}`);
        const pos = m * t + k;
        if (pos >= g.outLen) continue;
        const pixel = g.axis === 'w' ? line * outW + pos : pos * outW + line;
        acc[pixel * outChannels + o] = y / big;
      }
    }
  }
  return acc;
}
