/**
 * Where the Vulkan loader looks for driver (ICD) manifests on Linux, so the webgpu probe can see that
 * there is no driver before Dawn does: Dawn, finding none, prints a multi-line vkCreateInstance warning
 * with a path from its build machine, which a user of a GPU-less machine reads as an error.
 * The order and variables follow the loader's LoaderDriverInterface.md ("Driver Discovery on Linux").
 */
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

const list = (value: string | undefined) => (value ?? '').split(':').filter(Boolean);

/** The files and folders the loader reads driver manifests from, given the environment. */
export function driverManifestPaths(env: Env, home = homedir()): readonly string[] {
  const added = list(env.VK_ADD_DRIVER_FILES);
  // VK_DRIVER_FILES (VK_ICD_FILENAMES before loader 1.3.207) replaces the default search.
  const replaced = list(env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES);
  if (replaced.length > 0) return [...added, ...replaced];
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  const configDirs = list(env.XDG_CONFIG_DIRS || '/etc/xdg');
  const dataHome = env.XDG_DATA_HOME || join(home, '.local/share');
  const dataDirs = list(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share');
  const roots = [configHome, ...configDirs, '/usr/local/etc', '/etc', dataHome, ...dataDirs];
  return [...added, ...roots.map((root) => join(root, 'vulkan/icd.d'))];
}

/** The driver manifests present: named files that exist, and the .json files in named folders. */
export function findDriverManifests(env: Env = process.env): readonly string[] {
  return driverManifestPaths(env).flatMap((path) => {
    try {
      if (!statSync(path).isDirectory()) return [path];
      return readdirSync(path)
        .filter((name) => name.endsWith('.json'))
        .map((name) => join(path, name));
    } catch {
      return []; // absent or unreadable: the loader skips it too
    }
  });
}
