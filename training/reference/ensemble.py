"""Seed ensemble of fine-tunes in one ONNX graph (issue 16: "seeds ensembled into one ONNX graph").

  /usr/bin/python3 training/reference/ensemble.py --out DIR --version 3.7.0-ensemble MEMBER_DIR MEMBER_DIR ...

Each member is a model package made by `cxr-lens train --layers head+last-block` from the same parent:
every initializer but the last block's (conv_pw_13's weight and bias) and the head's is the parent's, byte
for byte (checked). The K members' last blocks side by side are one 1×1 convolution with K·1024 outputs
(ReLU6 and global average pooling act per channel), and the mean of their heads is one linear layer over
the K·1024 pooled features: weight [C × K·1024] = [W_1 … W_K] / K, bias = the mean of the biases. So

  logit_c = mean_k (W_k[c] · GAP(A_k) + b_k[c])      (the mean of the members' logits)
  CAM_c(s) = mean_k W_k[c] · A_k(s)                  (the mean of their class activation maps)

and the engine contract holds: a `gap_linear` head fed by the feature output, and a last block that is a
pointwise convolution with ReLU6, so Grad-CAM and its relatives, SHAP and fine-tuning work unchanged
(fine-tuning the ensemble trains its K·1024-wide block as one). The pooled features the out-of-
distribution statistics describe grow to K·1024 dimensions (`npm run ood:fit` refits them).

Verification here: onnx.checker, and the rewritten block and head evaluated in numpy on random block
inputs against the members' own block and head (the mean of their logits, within 1e-5). The whole graph
is checked by the app's engine in scripts/checkEnsemble.ts.

The manifest is member 1's with the feature channels, the sha256 and the version changed, and the
ensemble's members recorded under provenance.ensemble. Its thresholds and model-card metrics are still
member 1's and it has no out-of-distribution file: the package is for scoring candidates
(scripts/boxFindingFigures.ts --split val). Shipping one would need its own validation thresholds, card
and `ood:fit`; no ensemble has passed a round's rule (runs/model3.7).
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnx.checker
from onnx import numpy_helper


def load_member(path):
    manifest = json.loads((path / 'manifest.json').read_text())
    model = onnx.load(str(path / 'model.onnx'))
    return manifest, model


def initializers(model):
    return {t.name: t for t in model.graph.initializer}


def relu6(x):
    return np.clip(x, 0, 6)


def member_logits(x, w, b, hw, hb):
    """x [in × cells], conv weight [out × in], bias [out], head [C × out], [C]"""
    a = relu6(w @ x + b[:, None])
    return hw @ a.mean(axis=1) + hb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--version', required=True)
    ap.add_argument('members', nargs='+')
    args = ap.parse_args()
    if len(args.members) < 2:
        raise SystemExit('an ensemble needs at least two member packages')
    members = [load_member(Path(p)) for p in args.members]
    (m0, g0) = members[0]
    block, head = m0['lastBlock'], m0['head']['layers'][0]
    if m0['head']['type'] != 'gap_linear' or head.get('weightLayout') != 'out_in' or head.get('activation') != 'none':
        raise SystemExit(f'{args.members[0]}: the head is not a gap_linear layer with an out_in weight')
    if block.get('activation') != 'relu6' or not block.get('bias') or not head.get('bias'):
        raise SystemExit(f'{args.members[0]}: the last block is not a ReLU6 pointwise convolution with a bias, or the head has no bias')
    trained = {block['weight'], block['bias'], head['weight'], head['bias']}
    base = initializers(g0)
    for path, (m, g) in zip(args.members[1:], members[1:]):
        for key in ('id', 'findings', 'input', 'preprocess', 'outputs', 'head', 'lastBlock'):
            if m[key] != m0[key]:
                raise SystemExit(f'{path}: manifest "{key}" differs from {args.members[0]}')
        if m['provenance'].get('parent') != m0['provenance'].get('parent'):
            raise SystemExit(f'{path}: not a fine-tune of the same parent as {args.members[0]}')
        inits = initializers(g)
        if set(inits) != set(base):
            raise SystemExit(f'{path}: a different set of initializers')
        for name, t in inits.items():
            if name not in trained and t.SerializeToString() != base[name].SerializeToString():
                raise SystemExit(f'{path}: initializer {name} differs from {args.members[0]} (members must share the backbone)')
        if [n.SerializeToString() for n in g.graph.node] != [n.SerializeToString() for n in g0.graph.node]:
            raise SystemExit(f'{path}: a different graph')

    K = len(members)
    arrays = [{n: numpy_helper.to_array(initializers(g)[n]) for n in trained} for (_, g) in members]
    w = np.concatenate([a[block['weight']] for a in arrays], axis=0)
    b = np.concatenate([a[block['bias']] for a in arrays], axis=0)
    hw = np.concatenate([a[head['weight']] for a in arrays], axis=1) / K
    hb = np.mean([a[head['bias']] for a in arrays], axis=0)
    out_channels = w.shape[0]

    model = onnx.ModelProto()
    model.CopyFrom(g0)
    for t in model.graph.initializer:
        value = {block['weight']: w, block['bias']: b, head['weight']: hw, head['bias']: hb}.get(t.name)
        if value is not None:
            t.CopyFrom(numpy_helper.from_array(value.astype(np.float32), t.name))
    features = m0['outputs']['features']['name']
    for o in model.graph.output:
        if o.name == features:
            o.type.tensor_type.shape.dim[1].dim_value = out_channels
    del model.graph.value_info[:]  # shapes inferred by the exporter for the old width would be stale
    onnx.checker.check_model(model)

    # The rewritten block and head against the members', on random block inputs.
    rng = np.random.default_rng(0)
    in_channels = w.shape[1]
    for _ in range(3):
        x = rng.uniform(0, 6, size=(in_channels, 144)).astype(np.float64)
        want = np.mean([member_logits(x, a[block['weight']][:, :, 0, 0], a[block['bias']], a[head['weight']], a[head['bias']]) for a in arrays], axis=0)
        got = member_logits(x, w[:, :, 0, 0], b, hw, hb)
        if not np.allclose(got, want, rtol=1e-5, atol=1e-5):
            raise SystemExit(f'the ensemble head does not equal the mean of the members\' logits (max difference {np.abs(got - want).max():.2e})')

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    (out / 'model.onnx').write_bytes(data)
    manifest = dict(m0)
    manifest.pop('ood', None)
    manifest['version'] = args.version
    manifest['sha256'] = hashlib.sha256(data).hexdigest()
    manifest['outputs'] = {**m0['outputs'], 'features': {**m0['outputs']['features'], 'shape': [out_channels, *m0['outputs']['features']['shape'][1:]]}}
    manifest['provenance'] = {
        **m0['provenance'],
        'createdBy': 'training/reference/ensemble.py (seed ensemble of cxr-lens train fine-tunes)',
        'ensemble': {
            'rule': 'logit = mean of the members\' logits; CAM = mean of their maps (last blocks side by side, heads averaged)',
            'members': [{'version': m['version'], 'sha256': m['sha256'], 'seed': m['provenance'].get('training', {}).get('options', {}).get('seed')} for (m, _) in members],
        },
    }
    (out / 'manifest.json').write_text(json.dumps(manifest, indent=2) + '\n')
    print(f"{manifest['id']} {manifest['version']} {manifest['sha256']} ({K} members, {out_channels} feature channels)")


if __name__ == '__main__':
    main()
