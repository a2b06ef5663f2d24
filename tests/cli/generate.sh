#!/usr/bin/env bash
# `oqvl generate` vs the Hugging Face reference (tools/vlm_reference.py) on a tiny random model
# with the real Qwen2 vocabulary: identical greedy tokens for a batch of image prompts, with and
# without batching. Usage: generate.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL
require_skimage_data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 7 >/dev/null
python3 - "$work" "$OQVL_SKIMAGE_DATA" <<'PY'
import io, json, sys
from PIL import Image
work, skimage_data = sys.argv[1], sys.argv[2]
photos = [f"{skimage_data}/{name}.png" for name in ("astronaut", "coffee", "chelsea")]
reqs = []
for i, p in enumerate(photos):
    Image.open(p).convert("RGB").resize((96, 80)).save(f"{work}/img{i}.jpg", quality=90)
prompts = ["What is in the image?", "Describe the picture in detail, please.", "Color?"]
with open(f"{work}/requests.jsonl", "w") as f:
    for i, q in enumerate(prompts):
        f.write(json.dumps({"id": f"q{i}", "image": f"img{i}.jpg", "prompt": q}) + "\n")
PY
"$oqvl" -q generate --model "$work/model" --input "$work/requests.jsonl" --out "$work/batched.jsonl" \
  --max-new-tokens 12 --batch-size 3 --threads 2
"$oqvl" -q generate --model "$work/model" --input "$work/requests.jsonl" --out "$work/single.jsonl" \
  --max-new-tokens 12 --batch-size 1 --threads 2
# One prompt from flags prints just the text.
text=$("$oqvl" -q generate --model "$work/model" --image "$work/img0.jpg" --prompt "What is in the image?" \
  --max-new-tokens 12 --threads 2)
python3 - "$work" "$repo" "$text" <<'PY'
import json, sys
work, repo, text = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, f"{repo}/tools")
from vlm_reference import Reference
ref = Reference(f"{work}/model")
reqs = [json.loads(l) for l in open(f"{work}/requests.jsonl")]
ids = [ref.prompt_ids("<image>\n" + r["prompt"]) for r in reqs]
images = [open(f"{work}/{r['image']}", "rb").read() for r in reqs]
expected = ref.generate(ids, images, 12, [151645, 151643])
for name in ("batched", "single"):
    got = [json.loads(l) for l in open(f"{work}/{name}.jsonl")]
    assert [g["id"] for g in got] == [r["id"] for r in reqs], name
    for g, e in zip(got, expected):
        assert g["tokens"] == e, f"{name} {g['id']}: oqvl {g['tokens']} != reference {e}"
        assert g["output"] == ref.decode(e), (g["output"], ref.decode(e))
assert text == ref.decode(expected[0]), (text, ref.decode(expected[0]))
print(f"generate: {len(reqs)} prompts x 12 tokens equal the HF reference (batched and single)")
PY
# Bad input: a missing image is a one-line error with exit code 2.
set +e
"$oqvl" -q generate --model "$work/model" --image "$work/nope.jpg" --prompt "x" 2>"$work/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "does not exist" "$work/err" || { echo "expected exit 2 for a missing image, got $rc"; cat "$work/err"; exit 1; }
