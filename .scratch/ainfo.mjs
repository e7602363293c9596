import { create } from 'webgpu';
const gpu = create([]);
const a = await gpu.requestAdapter();
const i = a.info;
console.log(JSON.stringify({ vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description }));
process.exit(0);
