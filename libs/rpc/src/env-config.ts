/**
 * Service configuration from environment variables, validated once at start. Every problem is collected
 * and reported together, naming the variable, so a bad Deployment fails fast with one clear message.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export class EnvReader {
  private readonly problems: string[] = [];
  constructor(
    private readonly service: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  string(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  /** host:port */
  address(name: string, fallback?: string): string {
    const v = this.string(name, fallback);
    if (v !== '' && !/^[A-Za-z0-9._-]+:\d{1,5}$/.test(v)) this.problems.push(`${name}="${v}" is not host:port`);
    return v;
  }

  url(name: string, protocols: readonly string[], fallback?: string): string {
    const v = this.string(name, fallback);
    if (v === '') return v;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol.replace(':', ''))) {
        this.problems.push(`${name}="${v}" must use ${protocols.join(' or ')}`);
      }
    } catch {
      this.problems.push(`${name}="${v}" is not a URL`);
    }
    return v;
  }

  /**
   * Where to listen: HOST, else the pod's own address (POD_IP, from the downward API), else loopback.
   * Never every interface unless HOST says 0.0.0.0 explicitly.
   */
  listenHost(name = 'HOST'): string {
    return this.string(name, this.env.POD_IP || '127.0.0.1');
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) {
      this.problems.push(`${name}="${raw}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return v;
  }

  /** A port that may be left unset (undefined then); 0 picks a free one. */
  optionalPort(name: string): number | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    return this.int(name, 0, 0, 65535);
  }

  /** Throws one ConfigError listing every problem, or returns the config. */
  done<T>(config: T): T {
    if (this.problems.length > 0) {
      throw new ConfigError(`${this.service}: invalid configuration:\n  - ${this.problems.join('\n  - ')}`);
    }
    return config;
  }
}
