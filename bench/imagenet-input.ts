/**
 * Images/s of the ImageNet input pipeline (decode + RandomResizedCrop(224) + flip, uint8 NHWC out;
 * normalising is left to the device), on 1 worker and on all cores, from local tar shards and from the
 * local S3 server, beside torchvision 0.14's ImageFolder + DataLoader with the same transforms and worker
 * counts on the same files, in one run. First it compares the two JPEG decoders (libjpeg-turbo through
 * Rewind's addon, and sharp/libvips) on one thread.
 *
 *   node --import tsx bench/imagenet-input.ts [--images 800] [--batch 64] [--measure 512]
 *
 * The data (500 × 375 JPEGs at quality 90) is generated once into .cache/imagenet-bench. torchvision comes
 * from Debian's python3-torchvision, which the bench installs when it is missing (never a dependency).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { S3RVER_CREDENTIALS, startS3rver } from '@rewind/dev-cluster';
import { generateImageFolder, ImageBatchStream, type ImageSource, jpegAddon, listImageFolder, openLocalShards, openS3Shards, packImageFolder } from '@rewind/image-data';
import { Client } from 'minio';
import sharp from 'sharp';

const { values } = parseArgs({ options: { images: { type: 'string', default: '800' }, batch: { type: 'string', default: '64' }, measure: { type: 'string', default: '512' } } });
const perClass = Math.ceil(Number(values.images) / 8);
const batch = Number(values.batch);
const measure = Number(values.measure);
const cores = availableParallelism();
const workerCounts = [...new Set([1, cores])];
const root = join(process.cwd(), '.cache', `imagenet-bench-${perClass}`);
const folder = join(root, 'folder');
const shards = join(root, 'shards');

if (!existsSync(join(shards, 'index.json'))) {
  console.log(`generating ${perClass * 8} JPEGs (500 × 375, q90) into ${root} …`);
  await rm(root, { recursive: true, force: true });
  await generateImageFolder(folder, { classes: 8, trainPerClass: perClass, valPerClass: 1, minSide: 0, maxSide: 0, size: [500, 375], quality: 90, seed: 0 });
  await packImageFolder(folder, shards, { shardBytes: 32 << 20, seed: 0 });
}

function rate(count: number, start: bigint): number {
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

// 1. The decoders, one thread each, whole image and DCT-scaled.
const jpegs = await Promise.all((await listImageFolder(folder)).splits.train.slice(0, 200).map(async (s) => new Uint8Array(await readFile(s.path))));
const meanKb = jpegs.reduce((n, j) => n + j.length, 0) / jpegs.length / 1024;
sharp.concurrency(1);
const decoders: [string, () => Promise<void> | void][] = [];
for (const d of [1, 2, 4, 8]) decoders.push([`libjpeg-turbo addon, scale 1/${d}`, () => {
      for (const j of jpegs) jpegAddon().decode(j, d);
    }]);
decoders.push(['sharp (libvips), full decode to raw', async () => {
  for (const j of jpegs) await sharp(j).raw().toBuffer();
}]);
for (const shrink of [2, 4, 8]) {
  decoders.push([`sharp, resize to 1/${shrink} (shrink-on-load)`, async () => {
    for (const j of jpegs) await sharp(j).resize(Math.floor(500 / shrink), Math.floor(375 / shrink), { kernel: 'linear' }).raw().toBuffer();
  }]);
}
decoders.push(['libjpeg-turbo addon, RRC(224) + flip as trained', () => {
  const out = new Uint8Array(224 * 224 * 3);
  for (const [i, j] of jpegs.entries()) jpegAddon().decodeCropResize(j, 40, 20, 300, 280, 224, 224, i % 2 === 0, out, 0, 8);
}]);
decoders.push(['sharp, extract + resize(224) + flop as trained', async () => {
  for (const [i, j] of jpegs.entries()) {
    const image = sharp(j).extract({ left: 40, top: 20, width: 300, height: 280 }).resize(224, 224, { fit: 'fill', kernel: 'linear' });
    await (i % 2 === 0 ? image.flop() : image).raw().toBuffer();
  }
}]);
console.log(`\nJPEG decode, one thread, ${jpegs.length} files of 500 × 375 at q90 (mean ${meanKb.toFixed(0)} KB)`);
console.log('decoder                                          images/s');
for (const [name, run] of decoders) {
  await run();
  const start = process.hrtime.bigint();
  for (let r = 0; r < 2; r++) await run();
  console.log(`${name.padEnd(48)} ${rate(2 * jpegs.length, start).toFixed(0).padStart(8)}`);
}

// 2. The pipelines.
/** CPU-seconds (user + system, all threads) another process has used: /proc/<pid>/stat, in clock ticks. */
function processCpuS(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Images per second, memory, and CPU-seconds spent by this process (decode workers included) and by the S3 server, if one serves. */
async function pipelineRate(
  source: ImageSource,
  workers: number,
  images = measure,
  serverPid?: number,
): Promise<{ rate: number; images: number; rssMb: number; warmRssMb: number; boundMb: number; cpuS: number; serverCpuS: number }> {
  const stream = new ImageBatchStream(source, { batchSize: batch, size: 224, train: true, augmentSeed: 0, orderSeed: 0, workers, prefetch: 4, onCorrupt: 'error' });
  const steps = Math.ceil(images / batch);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    for await (const _ of stream.batches(0, 1)); // workers started and warm
    const warmRssMb = process.memoryUsage().rss / 2 ** 20;
    peak = 0;
    const cpu = process.cpuUsage();
    const server = serverPid === undefined ? 0 : processCpuS(serverPid);
    const start = process.hrtime.bigint();
    let seen = 0;
    for await (const b of stream.batches(1, 1 + steps)) seen += b.count;
    const used = process.cpuUsage(cpu);
    return {
      rate: rate(seen, start),
      images: seen,
      rssMb: peak / 2 ** 20,
      warmRssMb,
      boundMb: stream.memoryBoundBytes / 2 ** 20,
      cpuS: (used.user + used.system) / 1e6,
      serverCpuS: serverPid === undefined ? 0 : processCpuS(serverPid) - server,
    };
  } finally {
    clearInterval(sampler);
    await stream.close();
  }
}

function torchvision(): Map<number, number> {
  const has = spawnSync('/usr/bin/python3', ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
  if (!has) {
    console.log('installing python3-torchvision (bench yardstick only) …');
    const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
    execFileSync(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', '--no-install-recommends', 'python3-torchvision'], { stdio: 'inherit' });
  }
  const out = execFileSync('/usr/bin/python3', [new URL('imagenet_input_torchvision.py', import.meta.url).pathname, join(folder, 'train'), '224', String(batch), String(measure), workerCounts.join(',')], { encoding: 'utf8' });
  return new Map(out.trim().split('\n').map((line) => { const r = JSON.parse(line); return [r.workers, r.images_per_s]; }));
}

const s3 = await startS3rver(join(root, 's3'));
try {
  const client = new Client({ endPoint: '127.0.0.1', port: Number(new URL(s3.url).port), useSSL: false, ...S3RVER_CREDENTIALS, pathStyle: true });
  if (!(await client.bucketExists('images'))) await client.makeBucket('images');
  for (const file of await readdir(shards)) await client.fPutObject('images', `bench/${file}`, join(shards, file));
  console.log(`\nDecode + RandomResizedCrop(224) + flip, batch ${batch}, ${measure} images per figure, ${cores} cores here`);
  // Per Rewind CPU-s: images over the CPU time of this process alone, so the S3 server's share (s3rver, on
  // the same cores here; MinIO on other nodes in a cluster) is shown apart rather than charged to the pipeline.
  console.log('workers  source        rewind img/s  per worker  per Rewind CPU-s  S3 server CPU-s  peak RSS MB (bound MB)  torchvision img/s  ratio');
  const torch = torchvision();
  for (const workers of workerCounts) {
    for (const [name, open, serverPid] of [
      ['local shards', () => openLocalShards(shards, 'train'), undefined],
      ['local S3', () => openS3Shards({ client, bucket: 'images', prefix: 'bench' }, 'train'), s3.child.pid],
    ] as const) {
      const r = await pipelineRate(await open(), workers, measure, serverPid);
      const t = torch.get(workers)!;
      const perCpu = r.images / r.cpuS;
      console.log(
        `${String(workers).padStart(7)}  ${name.padEnd(12)}  ${r.rate.toFixed(0).padStart(12)}  ${(r.rate / workers).toFixed(0).padStart(10)}  ${perCpu.toFixed(0).padStart(16)}  ${(serverPid === undefined ? '-' : r.serverCpuS.toFixed(2)).padStart(15)}  ${r.rssMb.toFixed(0).padStart(11)} (${r.boundMb.toFixed(0)})${' '.repeat(10)}  ${t.toFixed(0).padStart(17)}  ${(r.rate / t).toFixed(2)}×`,
      );
    }
  }
} finally {
  await s3.child.stop();
}

console.log('');
// 3. Memory on a dataset far past this machine's memory as floats: ten million samples (about 6 TB as
// 224 × 224 × 3 float32), streamed from a synthetic source that serves the 200 JPEGs above in turn.
const huge: ImageSource = {
  where: 'synthetic stream',
  classes: ['a', 'b'],
  shardSizes: Array.from({ length: 10 }, () => 1_000_000),
  maxSampleBytes: Math.max(...jpegs.map((j) => j.length)),
  labelOf: (shard, i) => (shard + i) % 2,
  read: async (shard, i) => jpegs[(shard * 7 + i) % jpegs.length]!.slice(),
  describe: (shard, i) => `synthetic ${shard}/${i}`,
  close: async () => {},
};
for (const images of [measure, 8 * measure]) {
  const run = await pipelineRate(huge, cores, images);
  console.log(
    `10,000,000-sample streamed source, ${cores} workers, ${images} images: ${run.rate.toFixed(0)} img/s; process RSS ${run.warmRssMb.toFixed(0)} MB after the first batch, peak ${run.rssMb.toFixed(0)} MB after; pipeline buffer bound ${run.boundMb.toFixed(0)} MB`,
  );
}
