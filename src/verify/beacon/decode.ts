/**
 * SSZ bytes of light-client data → the values the light client works on. Each fork's form is
 * decoded with its own containers; a Capella header is held in Deneb's shape with the blob fields
 * 0 (the spec's upgrade of a header), so one store type serves every form.
 */
import type { BeaconConfig, ForkName } from './config.js';
import { BeaconError } from './errors.js';
import {
  type FormTypes,
  type LightClientBootstrap,
  type LightClientFinalityUpdate,
  type LightClientForm,
  type LightClientHeader,
  type LightClientOptimisticUpdate,
  type LightClientUpdate,
  lightClientForm,
  presetTypes,
} from './types.js';

export type LightClientKind = 'LightClientBootstrap' | 'LightClientUpdate' | 'LightClientFinalityUpdate' | 'LightClientOptimisticUpdate';

export interface LightClientValues {
  LightClientBootstrap: LightClientBootstrap;
  LightClientUpdate: LightClientUpdate;
  LightClientFinalityUpdate: LightClientFinalityUpdate;
  LightClientOptimisticUpdate: LightClientOptimisticUpdate;
}

/** The SSZ container of `kind` in `fork`'s form, for `config`'s preset. */
export function lightClientType(config: BeaconConfig, fork: ForkName, kind: LightClientKind): FormTypes[LightClientKind] {
  return presetTypes(config.preset).forms[lightClientForm(fork)][kind];
}

export function decodeLightClient<K extends LightClientKind>(config: BeaconConfig, fork: ForkName, kind: K, bytes: Uint8Array): LightClientValues[K] {
  const type = lightClientType(config, fork, kind);
  let value: unknown;
  try {
    value = type.decode(bytes);
  } catch (cause) {
    throw new BeaconError('BAD_ENCODING', kind, `not a ${fork} ${kind} (${(cause as Error).message})`, { cause });
  }
  return normalizeLightClient(kind, value) as LightClientValues[K];
}

/** SSZ bytes of `value` in `fork`'s form (a Capella form drops the zero blob fields). */
export function encodeLightClient<K extends LightClientKind>(config: BeaconConfig, fork: ForkName, kind: K, value: LightClientValues[K]): Uint8Array {
  const form = lightClientForm(fork);
  const type = presetTypes(config.preset).forms[form][kind] as { encode(v: unknown): Uint8Array };
  return type.encode(form === 'capella' ? denormalizeLightClient(kind, value) : value);
}

const HEADER_FIELDS: Record<LightClientKind, readonly string[]> = {
  LightClientBootstrap: ['header'],
  LightClientUpdate: ['attested_header', 'finalized_header'],
  LightClientFinalityUpdate: ['attested_header', 'finalized_header'],
  LightClientOptimisticUpdate: ['attested_header'],
};

/** A decoded value with every header in Deneb's shape (a Capella header gets zero blob fields). */
export function normalizeLightClient(kind: LightClientKind, value: unknown): unknown {
  const v = value as Record<string, LightClientHeader>;
  for (const f of HEADER_FIELDS[kind]) {
    const h = v[f] as LightClientHeader;
    if (h.execution.blob_gas_used === undefined) v[f] = { ...h, execution: { ...h.execution, blob_gas_used: 0n, excess_blob_gas: 0n } };
  }
  return v;
}

/** The value in Capella's shape: the blob fields, which must be zero, dropped. */
export function denormalizeLightClient(kind: LightClientKind, value: unknown): unknown {
  const v = { ...(value as Record<string, LightClientHeader>) };
  for (const f of HEADER_FIELDS[kind]) {
    const h = v[f] as LightClientHeader;
    if (h.execution.blob_gas_used !== 0n || h.execution.excess_blob_gas !== 0n) {
      throw new BeaconError('FIELD_MISMATCH', `${f}.execution`, 'a capella header has no blob gas');
    }
    const { blob_gas_used: _b, excess_blob_gas: _e, ...capella } = h.execution;
    v[f] = { ...h, execution: capella as LightClientHeader['execution'] };
  }
  return v;
}

export type { LightClientForm };
