/**
 * Delivering CloudEvents to the event functions a process hosts, by the
 * types each subscribes to (functions/registry.ts), as a Knative Trigger
 * would. Both HTTP servers receive events through it: a bundle's own
 * (shared/runtime/event-server.ts) and the host's (shared/runtime/http-server.ts).
 */
import type { CloudEvent } from 'cloudevents';
import { ErrorKind, PolarisError } from '../errors.js';
import { eventsFromHttp } from './cloudevents.js';
import type { ServiceContexts } from './contexts.js';
import type { EventFunction, FunctionEntry } from './function.js';
import type { HostedFunction } from './server.js';

export interface EventDelivery {
  /** Whether any of the hosted functions receives events. */
  readonly hostsEventFunctions: boolean;
  /** Delivers one event to every function subscribed to its type; returns how many. */
  dispatch(event: CloudEvent<unknown>): Promise<number>;
  /** Delivers one event to one event function, as the delivery process would over HTTP. */
  deliver(functionName: string, event: CloudEvent<unknown>): Promise<void>;
  /**
   * Delivers the events of an HTTP request (binary, structured or batch mode)
   * one after another; returns how many there were. A malformed request is a
   * ValidationError naming its problems. With `refuseUnhandled`, as where
   * Knative delivers to a single function, an event of a type no function
   * handles is refused (once the events before it in a batch are delivered).
   */
  receive(headers: Record<string, string | string[] | undefined>, body: unknown, options: { refuseUnhandled: boolean }): Promise<number>;
}

export function eventDelivery(functions: readonly HostedFunction[], contexts: ServiceContexts): EventDelivery {
  const eventFunctions = functions.filter((hosted): hosted is { entry: FunctionEntry; fn: EventFunction<unknown> } => hosted.fn.kind === 'event');

  const dispatch = async (event: CloudEvent<unknown>): Promise<number> => {
    const targets = eventFunctions.filter(({ entry }) => entry.subscribes?.includes(event.type));
    for (const { fn } of targets) await fn.handle(event, contexts.of(fn));
    return targets.length;
  };

  return {
    hostsEventFunctions: eventFunctions.length > 0,
    dispatch,
    async deliver(functionName, event) {
      const target = eventFunctions.find(({ entry }) => entry.name === functionName && entry.subscribes?.includes(event.type));
      if (!target) throw new PolarisError(ErrorKind.Validation, 'unsupported_event_type', `type: ${functionName} does not handle '${event.type}'`);
      await target.fn.handle(event, contexts.of(target.fn));
    },
    async receive(headers, body, { refuseUnhandled }) {
      const events = eventsFromHttp(headers, body);
      for (const event of events) {
        const delivered = await dispatch(event);
        if (delivered === 0 && refuseUnhandled) {
          throw new PolarisError(ErrorKind.Validation, 'unsupported_event_type', `type: this function does not handle '${event.type}'`);
        }
      }
      return events.length;
    },
  };
}
