import type { Core } from '@strapi/strapi';
import { TemplateRenderer } from '../render/renderer';
import { createGuardedAgents, type SsrfPolicy } from '../send/ssrf';
import { getPluginConfig } from '../plugin';

/**
 * The renderer (Nunjucks child processes) and the guarded HTTP agents: built here only, with
 * one set of options, on first use (the engine's start, a save's template check, a preview)
 * and closed by the engine's stop.
 */
export function createResources(strapi: Core.Strapi) {
  const cfg = () => getPluginConfig(strapi);
  let renderer: TemplateRenderer | null = null;
  let agents: ReturnType<typeof createGuardedAgents> | null = null;
  const ssrfPolicy = (): SsrfPolicy => ({
    allowPrivateAddresses: cfg().allowPrivateAddresses,
    allowedHosts: cfg().allowedHosts,
  });
  return {
    ssrfPolicy,
    renderer(): TemplateRenderer {
      renderer ??= new TemplateRenderer({
        processes: cfg().renderProcesses,
        maxOldGenerationSizeMb: cfg().renderMemoryMb,
      });
      return renderer;
    },
    // No socket cap per origin: the worker bounds the requests in flight (dispatch/worker.ts),
    // and a cap here would queue a healthy webhook behind hanging ones on the same host.
    agents() {
      agents ??= createGuardedAgents(ssrfPolicy(), { keepAlive: true });
      return agents;
    },
    async close() {
      await renderer?.close();
      renderer = null;
      agents?.httpAgent.destroy();
      agents?.httpsAgent.destroy();
      agents = null;
    },
  };
}

export type Resources = ReturnType<typeof createResources>;
