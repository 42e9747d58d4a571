/**
 * The values of an int8 program: the graph's values plus the conversion values lowering adds
 * (u8 copies of f32 values and f32 copies of u8 values), each buffer's element type, and the
 * quantisation of every u8 value. It is the `ValueSpace` the scheduler and the memory planner
 * read, so u8 buffers are planned at one byte per element.
 */

import type { QuantParams } from '../../bindings/program.js';
import type { Graph } from '../graph.js';
import { GraphError, type Shape, type ValueId } from '../nodes.js';
import type { ValueSpace } from '../planner.js';

export type DType = 'f32' | 'u8';

interface Added {
  name: string;
  shape: Shape;
}

export class Int8Values implements ValueSpace {
  private readonly added = new Map<ValueId, Added>();
  private next: number;
  /** Element type of each buffer root (absent: f32). */
  readonly rootTypes = new Map<ValueId, DType>();
  /** Quantisation of each value in a u8 buffer (set by quant-params.ts). */
  readonly params = new Map<ValueId, QuantParams>();
  readonly outputs: ValueId[];

  constructor(readonly graph: Graph) {
    this.next = graph.nodes.length;
    this.outputs = [...graph.outputs];
  }

  get inputs(): readonly ValueId[] {
    return this.graph.inputs;
  }

  /** A new value shaped like `like`, named after it. */
  add(like: ValueId, suffix: string): ValueId {
    const v = this.next++ as ValueId;
    this.added.set(v, { name: `${this.node(like).name}${suffix}`, shape: this.shape(like) });
    return v;
  }

  isAdded(v: ValueId): boolean {
    return this.added.has(v);
  }

  node(v: ValueId): { readonly name: string } {
    return this.added.get(v) ?? this.graph.node(v);
  }

  shape(v: ValueId): Shape {
    return this.added.get(v)?.shape ?? this.graph.shape(v);
  }

  elementBytes(root: ValueId): 1 | 4 {
    return this.rootTypes.get(root) === 'u8' ? 1 : 4;
  }

  /** The quantisation of a u8 value. */
  quant(v: ValueId): QuantParams {
    const p = this.params.get(v);
    if (!p) throw new GraphError(`int8: value '${this.node(v).name}' has no quantisation`);
    return p;
  }
}
