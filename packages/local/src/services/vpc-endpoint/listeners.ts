import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudAssemblyModel } from '../../assembly/model.js';
import type { VpcEndpointModel } from '../../assembly/network.js';
import { type LocalRequest, type LocalResponse, listen } from '../../http.js';
import { throughEndpoint } from './endpoint.js';

/** The services whose interface endpoints the local stack answers as (each one its own listener). */
export const SERVED_ENDPOINT_SERVICES: ReadonlySet<string> = new Set(['execute-api', 'sts', 'lambda']);

/** An endpoint the stack listens for: an interface endpoint of a service it serves. */
export const listenedFor = (endpoint: VpcEndpointModel) =>
  endpoint.type === 'Interface' && SERVED_ENDPOINT_SERVICES.has(endpoint.service);

export const closeServer = (server: Server): Promise<void> => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
};

/**
 * One listener on 127.0.0.1 per interface VPC endpoint of a served service: what arrives there
 * came through that endpoint, from an address in its VPC (the endpoint and VPC as the app has
 * them now, so a reload's policy applies at once). Kept across reloads by endpoint id, so its
 * URL in the state file stays the same.
 */
export class EndpointListeners {
  readonly #listeners = new Map<string, { server: Server; origin: string }>();

  public constructor(
    private readonly handle: (request: LocalRequest) => Promise<LocalResponse>,
    private readonly model: () => CloudAssemblyModel,
    private readonly now: () => Date,
    /** Told why a request no service could read was refused, for its stderr line. */
    private readonly unread?: (why: string) => void,
  ) {}

  /** `http://127.0.0.1:<port>` of an endpoint's listener; undefined when there is none. */
  public origin(id: string): string | undefined {
    return this.#listeners.get(id)?.origin;
  }

  /** Opens a listener for each endpoint of `model` listened for and not yet open. */
  public async open(model: CloudAssemblyModel): Promise<void> {
    for (const endpoint of model.vpcEndpoints.filter(listenedFor)) {
      if (this.#listeners.has(endpoint.id)) continue;
      const server = await listen(0, (request) => this.#through(endpoint.id, request), this.now, {
        unread: this.unread,
      });
      this.#listeners.set(endpoint.id, {
        server,
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
    }
  }

  /** Closes the listeners of endpoints `model` no longer has (or no longer listened for). */
  public prune(model: CloudAssemblyModel): void {
    for (const [id, listener] of this.#listeners) {
      if (model.vpcEndpoints.some((endpoint) => endpoint.id === id && listenedFor(endpoint))) continue;
      this.#listeners.delete(id);
      void closeServer(listener.server);
    }
  }

  public async close(): Promise<void> {
    const servers = [...this.#listeners.values()].map((listener) => listener.server);
    this.#listeners.clear();
    await Promise.all(servers.map(closeServer));
  }

  #through(id: string, request: LocalRequest): Promise<LocalResponse> {
    const model = this.model();
    const endpoint = model.vpcEndpoints.find((candidate) => candidate.id === id);
    if (!endpoint) throw new Error(`VPC endpoint ${id} is no longer in the app`);
    request.via = throughEndpoint(model, endpoint);
    // What the service sees of the caller (an event's `sourceIp`): its address in the VPC.
    request.sourceIp = request.via.vpcSourceIp;
    return this.handle(request);
  }
}
