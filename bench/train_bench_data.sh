# Shared by bench/run_train_bench.sh and bench/run_ddp_bench.sh (sourced): train_bench_data OQVL
# THREADS makes, in the current folder, the mid-size training bench model -- 56x56 images at patch
# 7 (64 patches -> 16 tokens), a 4-layer 256-wide vision tower, a 4-layer 256-wide LLM with the
# real 151,936-token tied vocabulary (oqvl init, seed 1) -- in model/, and 2,000 Fashion-MNIST
# demo photos packed into 512-position rows with their mix manifest.json.
train_bench_data() {
  local oqvl=$1 threads=$2
  "$oqvl" -q init --preset demo --seed 1 --out model \
    --set vision_config.image_size=56 --set vision_config.patch_size=7 --set vision_config.hidden_size=256 \
    --set vision_config.intermediate_size=1024 --set vision_config.num_hidden_layers=5 \
    --set text_config.hidden_size=256 --set text_config.intermediate_size=1024 \
    --set text_config.num_hidden_layers=4 --set text_config.head_dim=64 >/dev/null
  "$oqvl" -q data make-demo --out demo --train-samples 2000 --test-samples 10 --shard-size 1000 --threads "$threads"
  "$oqvl" -q data pack "demo/train/*.tar" --out packed --context 512 --image-tokens 16 --threads "$threads"
  "$oqvl" -q data mix --source "demo=packed/*.tar" --seed 7 --out manifest.json
}
