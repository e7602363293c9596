/** What the batch pipeline reads samples from: shards (local or S3) or an ImageFolder tree, one split. */

export interface ImageSource {
  /** Where the data lives, for messages. */
  readonly where: string;
  readonly classes: readonly string[];
  /** Sample counts per shard (an ImageFolder tree is one shard). */
  readonly shardSizes: readonly number[];
  /** The longest sample in bytes, for the pipeline's memory bound. */
  readonly maxSampleBytes: number;
  labelOf(shard: number, index: number): number;
  /** The JPEG bytes of one sample, in an ArrayBuffer of their own (it moves to a decode worker). */
  read(shard: number, index: number): Promise<Uint8Array>;
  /** Names a sample in errors and warnings: its file, or its shard and byte range. */
  describe(shard: number, index: number): string;
  close(): Promise<void>;
}
