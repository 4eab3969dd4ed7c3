/**
 * Differential testing against MLflow's own server: a scenario is written once against a `Side`
 * (one server's REST API) and run on MLflow 2.12.2 and on Flowdesk; the test compares what each
 * observed. Observations are normalised (outcomes rather than messages, names rather than ids) so
 * that only the semantics are compared.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { rest, startFlowdeskServer, startMlflowServer, type Answer, type FlowdeskReference, type ReferenceServer } from './mlflow-server.ts';

export interface Side {
  name: 'mlflow' | 'flowdesk';
  url: string;
  call(method: string, path: string, payload?: Record<string, unknown>): Promise<Answer>;
  /** Like `call`, but a non-200 answer throws: for the setup steps of a scenario. */
  ok(method: string, path: string, payload?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** What a request came to: `ok`, or the HTTP status and MLflow error code of its refusal. */
export type Outcome = 'ok' | { status: number; error_code: unknown };

/** The outcome of an answer, leaving out the message (the wording is each server's own). */
export function outcome(answer: Answer): Outcome {
  return answer.status === 200 ? 'ok' : { status: answer.status, error_code: answer.body.error_code };
}

function side(name: Side['name'], url: string): Side {
  const call = (method: string, path: string, payload?: Record<string, unknown>) => rest(url, method, path, payload);
  return {
    name,
    url,
    call,
    ok: async (method, path, payload) => {
      const answer = await call(method, path, payload);
      if (answer.status !== 200) throw new Error(`${name}: ${method} ${path} answered ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
  };
}

export interface Differential {
  /** Runs a scenario on MLflow's server and on Flowdesk and returns what each observed. */
  run<T>(scenario: (side: Side) => Promise<T>): Promise<{ mlflow: T; flowdesk: T }>;
  /** The Flowdesk server, for contract calls a scenario needs beside the REST API. */
  flowdesk(): FlowdeskReference;
}

/**
 * Starts MLflow's server and a Flowdesk server once for the calling test file (beforeAll) and
 * stops both after it. Scenarios share the two servers, so each creates its own uniquely named
 * experiments and models.
 */
export function useDifferential(): Differential {
  let mlflow: ReferenceServer | undefined;
  let flowdesk: FlowdeskReference | undefined;
  beforeAll(async () => {
    const [a, b] = await Promise.allSettled([startMlflowServer(), startFlowdeskServer()]);
    if (a.status === 'fulfilled') mlflow = a.value;
    if (b.status === 'fulfilled') flowdesk = b.value;
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([mlflow?.close(), flowdesk?.close()]);
  });
  return {
    run: async (scenario) => {
      if (!mlflow || !flowdesk) throw new Error('the servers did not start');
      const [a, b] = await Promise.all([scenario(side('mlflow', mlflow.url)), scenario(side('flowdesk', flowdesk.url))]);
      return { mlflow: a, flowdesk: b };
    },
    flowdesk: () => {
      if (!flowdesk) throw new Error('the servers did not start');
      return flowdesk;
    },
  };
}

/** Where Flowdesk deliberately answers otherwise: the label, what each server answers, and why. */
export type Deliberate<T> = Record<string, { mlflow: T; flowdesk: T; why: string }>;

/**
 * Asserts that Flowdesk observed what MLflow observed, except under the labels listed as
 * deliberate differences, where each server must answer exactly as listed (so a difference that
 * disappears, on either side, fails too).
 */
export function expectSameExcept<T>(observed: { mlflow: Record<string, T>; flowdesk: Record<string, T> }, deliberate: Deliberate<T>): void {
  const { mlflow, flowdesk } = observed;
  for (const [label, expected] of Object.entries(deliberate)) {
    expect({ label, mlflow: mlflow[label] }, expected.why).toEqual({ label, mlflow: expected.mlflow });
    expect({ label, flowdesk: flowdesk[label] }, expected.why).toEqual({ label, flowdesk: expected.flowdesk });
  }
  const rest = (seen: Record<string, T>) => Object.fromEntries(Object.entries(seen).filter(([label]) => !(label in deliberate)));
  expect(rest(flowdesk)).toEqual(rest(mlflow));
}
