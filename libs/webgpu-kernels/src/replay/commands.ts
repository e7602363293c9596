/**
 * What a recorded step is made of, and the encoder wrappers that record it: tfjs keeps encoding
 * into the real command encoder and compute pass, and every dispatch and buffer copy it queues is
 * also written down, so the same work can be encoded again without tfjs. Copies out of a mappable
 * staging buffer are uploads of host values; they are left out, since the values stay in place.
 */

export type Command =
  | { readonly kind: 'dispatch'; readonly pipeline: GPUComputePipeline; readonly bindGroup: GPUBindGroup; readonly groups: readonly [number, number, number] }
  | { readonly kind: 'copy'; readonly src: GPUBuffer; readonly srcOffset: number; readonly dst: GPUBuffer; readonly dstOffset: number; readonly size: number };

export interface CommandLog {
  readonly commands: Command[];
  /** Every buffer the recorded commands read or write, including through bind groups. */
  readonly buffers: Set<GPUBuffer>;
  /** Set when tfjs did something a replay could not repeat (a texture copy, timestamp queries). */
  unrepeatable?: string;
}

/** `real`, with every dispatch and non-upload copy also appended to `log`. */
export function recordingEncoder(real: GPUCommandEncoder, log: CommandLog): GPUCommandEncoder {
  const wrapper = {
    beginComputePass(descriptor?: GPUComputePassDescriptor) {
      if (descriptor?.timestampWrites) log.unrepeatable ??= 'tfjs timestamp queries (a profiler is active)';
      return recordingPass(real.beginComputePass(descriptor), log);
    },
    copyBufferToBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number) {
      real.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
      if ((src.usage & GPUBufferUsage.MAP_WRITE) !== 0) return;
      log.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size });
      log.buffers.add(src).add(dst);
    },
    finish(descriptor?: GPUCommandBufferDescriptor) {
      return real.finish(descriptor);
    },
  };
  return withOverrides(real, wrapper, 'GPUCommandEncoder', log);
}

function recordingPass(real: GPUComputePassEncoder, log: CommandLog): GPUComputePassEncoder {
  let pipeline: GPUComputePipeline | undefined;
  let bindGroup: GPUBindGroup | undefined;
  const wrapper = {
    setPipeline(p: GPUComputePipeline) {
      pipeline = p;
      real.setPipeline(p);
    },
    setBindGroup(index: number, group: GPUBindGroup, ...offsets: unknown[]) {
      if (index !== 0 || offsets.length > 0) log.unrepeatable ??= 'a bind group other than a plain group 0';
      bindGroup = group;
      (real.setBindGroup as (...args: unknown[]) => void)(index, group, ...offsets);
    },
    dispatchWorkgroups(x: number, y = 1, z = 1) {
      real.dispatchWorkgroups(x, y, z);
      if (!pipeline || !bindGroup) log.unrepeatable ??= 'a dispatch without pipeline or bind group';
      else log.commands.push({ kind: 'dispatch', pipeline, bindGroup, groups: [x, y, z] });
    },
    end() {
      real.end();
    },
  };
  return withOverrides(real, wrapper, 'GPUComputePassEncoder', log);
}

/** `real` with `overrides`' methods in place of its own; any other method it is asked for marks the log unrepeatable. */
function withOverrides<T extends object>(real: T, overrides: object, typeName: string, log: CommandLog): T {
  return new Proxy(real, {
    get(target, property) {
      if (property in overrides) return overrides[property as keyof typeof overrides];
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      log.unrepeatable ??= `tfjs called ${typeName}.${String(property)}`;
      return value.bind(target);
    },
  });
}

/** Encodes `commands` into `encoder`: consecutive dispatches share one compute pass. */
export function encodeCommands(encoder: GPUCommandEncoder, commands: readonly Command[]): void {
  let pass: GPUComputePassEncoder | undefined;
  let pipeline: GPUComputePipeline | undefined;
  for (const c of commands) {
    if (c.kind === 'dispatch') {
      if (!pass) {
        pass = encoder.beginComputePass();
        pipeline = undefined;
      }
      if (c.pipeline !== pipeline) {
        pass.setPipeline(c.pipeline);
        pipeline = c.pipeline;
      }
      pass.setBindGroup(0, c.bindGroup);
      pass.dispatchWorkgroups(c.groups[0], c.groups[1], c.groups[2]);
    } else {
      pass?.end();
      pass = undefined;
      encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
    }
  }
  pass?.end();
}
