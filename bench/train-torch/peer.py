#!/usr/bin/env python3
"""PyTorch peer of `moe-data train` (issue 20): the same model, rows, losses and AdamW, in idiomatic PyTorch.

What it mirrors (Sources/MoeTrain): token embedding; pre-norm blocks of RMSNorm (eps 1e-6), rotary
(HF rotate_half pairs, positions restart per packed segment), causal attention inside each segment
(one F.scaled_dot_product_attention call per segment), RMSNorm, then a dense SwiGLU FFN or, in every
2nd layer (1, 3, ...), a top-2 MoE: fp32 softmax router, raw top-2 probabilities as gates, capacity
max(4, round(1.25 * tokens / 8)) with flaxformer's drop order (every token's top-1 before any top-2,
earlier tokens first), 8 SwiGLU experts run as one batched matmul over the capacity buffer, plus a
shared SwiGLU FFN; final RMSNorm, untied LM head; masked cross-entropy / targets + 0.01 * mean balance
loss (E * sum f_i P_i, f from top-2 membership before drops) + 1e-4 * mean router z-loss (mean lse^2).
AdamW (0.9, 0.95, eps 1e-8, weight decay 0.1 on matrices only), global-norm clip at 1.0 (scale
clip / norm when norm > clip), rsqrt schedule with a 30-step linear warm-up (peak 3e-3 tiny, 1e-3 small).
One packed 2048-token row per step, in dataset order (`moe-data train --no-shuffle`).

Not in CI: torch lives only in a venv outside the repository (see run.sh).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mds_rows import PackedRows  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

PRESETS = {
    "tiny": dict(d=128, layers=4, heads=4, head_dim=32, ffn=256, experts=8, top_k=2, moe_every=2, lr=3e-3),
    "small": dict(d=256, layers=8, heads=4, head_dim=64, ffn=512, experts=8, top_k=2, moe_every=2, lr=1e-3),
}
NORM_EPS = 1e-6
ROPE_BASE = 10_000.0
CAPACITY_FACTOR, MIN_CAPACITY = 1.25, 4
AUX_WEIGHT, ROUTER_Z_WEIGHT = 0.01, 1e-4
BETAS, ADAM_EPS, WEIGHT_DECAY, CLIP = (0.9, 0.95), 1e-8, 0.1, 1.0
WARMUP = 30


def is_moe(cfg, layer):
    return cfg["moe_every"] > 0 and layer % cfg["moe_every"] == cfg["moe_every"] - 1


def parameter_shapes(cfg, vocab):
    """Our checkpoint's tensors, in ParameterLayout order."""
    d, a, f = cfg["d"], cfg["heads"] * cfg["head_dim"], cfg["ffn"]
    shapes = [("embed.weight", (vocab, d))]
    for i in range(cfg["layers"]):
        p = f"layers.{i}."
        shapes += [(p + "attn_norm.weight", (d,)), (p + "attn.wqkv", (3 * a, d)), (p + "attn.wo", (d, a)),
                   (p + "ffn_norm.weight", (d,))]
        if is_moe(cfg, i):
            shapes.append((p + "moe.router", (cfg["experts"], d)))
            for e in range(cfg["experts"]):
                shapes += [(p + f"moe.experts.{e}.w_in", (2 * f, d)), (p + f"moe.experts.{e}.w_out", (d, f))]
            shapes += [(p + "moe.shared.w_in", (2 * f, d)), (p + "moe.shared.w_out", (d, f))]
        else:
            shapes += [(p + "ffn.w_in", (2 * f, d)), (p + "ffn.w_out", (d, f))]
    shapes += [("final_norm.weight", (d,)), ("lm_head.weight", (vocab, d))]
    return shapes


# ---- our initialisation (MoEModel.init: KeyedRandom keyed by tensor name, Box-Muller normals) ----
M64 = (1 << 64) - 1


def _mix(z):
    z = z.copy()
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _mix_int(x):
    return int(_mix(np.array([x & M64], dtype=np.uint64))[0])


def keyed_normals(seed, name, count):
    key = 0xCBF29CE484222325
    for b in name.encode():
        key = ((key ^ b) * 0x100000001B3) & M64
    state = _mix_int(seed ^ 0x6A09E667F3BCC908) ^ _mix_int(key)
    k = np.arange(1, 2 * count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        draws = _mix(np.uint64(state) + k * np.uint64(0x9E3779B97F4A7C15))
    units = (draws >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    u1, u2 = np.maximum(units[0::2], 2.0 ** -53), units[1::2]
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * math.pi * u2)


def our_init(cfg, vocab, seed=0, init_std=0.02, router_std=0.02):
    residual = 1 / math.sqrt(2 * cfg["layers"])
    out = {}
    for name, shape in parameter_shapes(cfg, vocab):
        if len(shape) == 1:
            out[name] = np.ones(shape, dtype=np.float32)
            continue
        std = init_std * residual if name.endswith("wo") or name.endswith("w_out") else init_std
        if name.endswith("router"):
            std = router_std
        out[name] = (keyed_normals(seed, name, int(np.prod(shape))) * std).astype(np.float32).reshape(shape)
    return out


# ---- the model ----
def rms_norm(x, gain):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * gain


def swiglu(x, w_in, w_out):
    gate, up = F.linear(x, w_in).chunk(2, dim=-1)
    return F.linear(F.silu(gate) * up, w_out)


def rotate(x, cos, sin):
    """x [n, heads, hd]; HF rotate_half pairing (i with i + hd/2)."""
    x0, x1 = x.chunk(2, dim=-1)
    return torch.cat((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)


class Block(torch.nn.Module):
    def __init__(self, cfg, moe):
        super().__init__()
        d, a, f, e = cfg["d"], cfg["heads"] * cfg["head_dim"], cfg["ffn"], cfg["experts"]
        self.heads, self.head_dim, self.moe, self.experts, self.top_k = cfg["heads"], cfg["head_dim"], moe, e, 2
        P = lambda *s: torch.nn.Parameter(torch.empty(*s))  # noqa: E731
        self.attn_norm, self.wqkv, self.wo, self.ffn_norm = P(d), P(3 * a, d), P(d, a), P(d)
        if moe:
            self.router = P(e, d)
            # The experts as one [E, 2f, d] / [E, d, f] tensor each, for batched matmuls.
            self.experts_in, self.experts_out = P(e, 2 * f, d), P(e, d, f)
        self.ffn_in, self.ffn_out = P(2 * f, d), P(d, f)  # dense FFN, or the MoE layer's shared FFN

    def qkv(self, x, cos, sin):
        n = x.shape[0]
        q, k, v = F.linear(rms_norm(x, self.attn_norm), self.wqkv).view(n, 3, self.heads, self.head_dim).unbind(1)
        return rotate(q, cos, sin), rotate(k, cos, sin), v

    def after_attention(self, x, attn):
        mid = x + F.linear(attn, self.wo)
        h = rms_norm(mid, self.ffn_norm)
        if not self.moe:
            return mid + swiglu(h, self.ffn_in, self.ffn_out), None, None
        y, aux, z = self.mixture(h)
        return mid + y, aux, z

    def mixture(self, x):
        n, d = x.shape
        e, k = self.experts, self.top_k
        logits = F.linear(x, self.router).float()
        probs = logits.softmax(-1)
        gate, choice = probs.topk(k, dim=-1)  # [n, k]; raw probabilities as gate weights
        capacity = max(MIN_CAPACITY, math.floor(CAPACITY_FACTOR * n / e + 0.5))
        # Drop order: all top-1 assignments (in token order) queue before any top-2 one.
        flat = choice.t().reshape(-1)
        onehot = F.one_hot(flat, e)
        slot = (onehot.cumsum(0) - 1).gather(1, flat[:, None]).squeeze(1)
        kept = slot < capacity
        token = torch.arange(n, device=x.device).repeat(k)[kept]
        where = (flat * capacity + slot)[kept]
        buffer = x.new_zeros(e * capacity, d).index_copy(0, where, x[token]).view(e, capacity, d)
        gate_up = torch.bmm(buffer, self.experts_in.transpose(1, 2))
        g, u = gate_up.chunk(2, dim=-1)
        out = torch.bmm(F.silu(g) * u, self.experts_out.transpose(1, 2)).view(e * capacity, d)
        weighted = out[where] * gate.t().reshape(-1)[kept, None]
        y = torch.zeros_like(x).index_add(0, token, weighted) + swiglu(x, self.ffn_in, self.ffn_out)
        fraction = onehot.sum(0).float() / n  # top-k membership before drops, no gradient
        aux = e * (fraction * probs.mean(0)).sum()
        z = torch.logsumexp(logits, -1).pow(2).mean()
        return y, aux, z


class Model(torch.nn.Module):
    def __init__(self, cfg, vocab):
        super().__init__()
        self.cfg, self.vocab = cfg, vocab
        d = cfg["d"]
        self.embed = torch.nn.Embedding(vocab, d)
        self.blocks = torch.nn.ModuleList(Block(cfg, is_moe(cfg, i)) for i in range(cfg["layers"]))
        self.final_norm = torch.nn.Parameter(torch.empty(d))
        self.lm_head = torch.nn.Parameter(torch.empty(vocab, d))
        half = cfg["head_dim"] // 2
        pos = np.arange(4096, dtype=np.float64)[:, None]
        angle = pos * ROPE_BASE ** (-2 * np.arange(half, dtype=np.float64) / cfg["head_dim"])
        self.register_buffer("cos", torch.from_numpy(np.cos(angle).astype(np.float32)), persistent=False)
        self.register_buffer("sin", torch.from_numpy(np.sin(angle).astype(np.float32)), persistent=False)
        self.after_attention = [b.after_attention for b in self.blocks]
        self.qkv = [b.qkv for b in self.blocks]
        self.head_loss = self._head_loss

    def compile_parts(self):
        """torch.compile everything but the per-segment attention loop (its segment count and lengths
        change every row; the rest sees one dynamic token dimension)."""
        self.after_attention = [torch.compile(b.after_attention, dynamic=True) for b in self.blocks]
        self.qkv = [torch.compile(b.qkv, dynamic=True) for b in self.blocks]
        self.head_loss = torch.compile(self._head_loss, dynamic=True)

    def _head_loss(self, x, rows, targets):
        h = rms_norm(x, self.final_norm)[rows]
        return F.cross_entropy(F.linear(h, self.lm_head), targets, reduction="sum")

    def forward(self, batch):
        inputs, positions, segments, rows, targets = batch
        cos, sin = self.cos[positions][:, None, :], self.sin[positions][:, None, :]
        x = self.embed(inputs)
        aux, z = [], []
        for qkv, after in zip(self.qkv, self.after_attention):
            q, k, v = qkv(x, cos, sin)
            parts = [F.scaled_dot_product_attention(q[s:t].transpose(0, 1), k[s:t].transpose(0, 1),
                                                    v[s:t].transpose(0, 1), is_causal=True).transpose(0, 1)
                     for s, t in segments]
            x, a, zz = after(x, torch.cat(parts).reshape(x.shape[0], -1))
            if a is not None:
                aux.append(a)
                z.append(zz)
        ce = self.head_loss(x, rows, targets) / max(1, rows.numel())
        aux_mean, z_mean = torch.stack(aux).mean(), torch.stack(z).mean()
        loss = ce + AUX_WEIGHT * aux_mean + ROUTER_Z_WEIGHT * z_mean
        return loss, ce, aux_mean, z_mean

    def load(self, tensors):
        """Our flat names → this module (experts stacked)."""
        with torch.no_grad():
            t = lambda name: torch.from_numpy(np.ascontiguousarray(tensors[name]))  # noqa: E731
            self.embed.weight.copy_(t("embed.weight"))
            for i, b in enumerate(self.blocks):
                p = f"layers.{i}."
                b.attn_norm.copy_(t(p + "attn_norm.weight"))
                b.wqkv.copy_(t(p + "attn.wqkv"))
                b.wo.copy_(t(p + "attn.wo"))
                b.ffn_norm.copy_(t(p + "ffn_norm.weight"))
                if b.moe:
                    b.router.copy_(t(p + "moe.router"))
                    b.experts_in.copy_(torch.stack([t(p + f"moe.experts.{e}.w_in") for e in range(b.experts)]))
                    b.experts_out.copy_(torch.stack([t(p + f"moe.experts.{e}.w_out") for e in range(b.experts)]))
                    b.ffn_in.copy_(t(p + "moe.shared.w_in"))
                    b.ffn_out.copy_(t(p + "moe.shared.w_out"))
                else:
                    b.ffn_in.copy_(t(p + "ffn.w_in"))
                    b.ffn_out.copy_(t(p + "ffn.w_out"))
            self.final_norm.copy_(t("final_norm.weight"))
            self.lm_head.copy_(t("lm_head.weight"))

    def flat(self):
        """This module's parameters under our names (experts unstacked), as numpy."""
        out = {"embed.weight": self.embed.weight, "final_norm.weight": self.final_norm, "lm_head.weight": self.lm_head}
        for i, b in enumerate(self.blocks):
            p = f"layers.{i}."
            out.update({p + "attn_norm.weight": b.attn_norm, p + "attn.wqkv": b.wqkv, p + "attn.wo": b.wo,
                        p + "ffn_norm.weight": b.ffn_norm})
            if b.moe:
                out[p + "moe.router"] = b.router
                for e in range(b.experts):
                    out[p + f"moe.experts.{e}.w_in"] = b.experts_in[e]
                    out[p + f"moe.experts.{e}.w_out"] = b.experts_out[e]
                out[p + "moe.shared.w_in"], out[p + "moe.shared.w_out"] = b.ffn_in, b.ffn_out
            else:
                out[p + "ffn.w_in"], out[p + "ffn.w_out"] = b.ffn_in, b.ffn_out
        return {k: v.detach().numpy() for k, v in out.items()}


def learning_rate(peak, step):
    """LRSchedule.rsqrt: linear ramp to the peak over WARMUP steps, then peak * sqrt(warmup / step)."""
    s, w = step + 1.0, float(WARMUP)
    ramp = min(1.0, s / w) if w > 0 else 1.0
    return peak * ramp * math.sqrt(max(w, 1) / max(s, max(w, 1)))


def make_batch(row):
    """TokenBatch: padding dropped, input = previous token (0 at a segment's start), target = token."""
    tokens, seg, mask = row["tokens"].astype(np.int64), row["segment_ids"], row["loss_mask"]
    change = np.flatnonzero(np.diff(seg.astype(np.int64))) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [len(seg)]))
    segments, inputs, targets, masks, positions, at = [], [], [], [], [], 0
    for s, t in zip(starts, ends):
        if seg[s] == 0:
            continue
        inputs.append(np.concatenate(([0], tokens[s:t - 1])))
        targets.append(tokens[s:t])
        masks.append(mask[s:t])
        positions.append(np.arange(t - s))
        segments.append((int(at), int(at + t - s)))
        at += t - s
    targets, masks = np.concatenate(targets), np.concatenate(masks)
    rows = np.flatnonzero(masks)
    return (torch.from_numpy(np.concatenate(inputs)), torch.from_numpy(np.concatenate(positions)), segments,
            torch.from_numpy(rows), torch.from_numpy(targets[rows])), int(at)


def make_optimizer(model, peak, state=None, adam_step=0):
    decay = [p for p in model.parameters() if p.dim() >= 2]  # our matrices (ParameterTensor.decays)
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=peak, betas=BETAS, eps=ADAM_EPS, foreach=True)
    if state is not None:  # our adam_m./adam_v. tensors from the checkpoint
        m_model, v_model = Model(model.cfg, model.vocab), Model(model.cfg, model.vocab)
        m_model.load({k[7:]: v for k, v in state.items() if k.startswith("adam_m.")})
        v_model.load({k[7:]: v for k, v in state.items() if k.startswith("adam_v.")})
        moments = {id(p): (m, v) for p, m, v in zip(model.parameters(), m_model.parameters(), v_model.parameters())}
        for group in opt.param_groups:
            for p in group["params"]:
                m, v = moments[id(p)]
                opt.state[p] = {"step": torch.tensor(float(adam_step)), "exp_avg": m.detach().clone(),
                                "exp_avg_sq": v.detach().clone()}
    return opt


def train_step(model, opt, batch, lr):
    opt.zero_grad(set_to_none=True)
    loss, ce, aux, z = model(batch)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, dtype=torch.float64)))
    if norm > CLIP:
        torch._foreach_mul_(grads, CLIP / norm.item())
    for group in opt.param_groups:
        group["lr"] = lr
    opt.step()
    return loss.item(), ce.item(), aux.item(), z.item(), norm.item()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="the build output folder or its packed/ subfolder")
    ap.add_argument("--config", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--checkpoint", help="start from this moe-data checkpoint (weights, Adam state, step, row)")
    ap.add_argument("--steps", type=int, default=40, help="total steps to reach (as moe-data train --steps)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--compile", action="store_true", help="torch.compile all but the attention loop")
    ap.add_argument("--expect-params", type=int, help="fail unless the parameter count is this")
    ap.add_argument("--compare-log", help="our train_log.jsonl: print our loss beside ours each step")
    ap.add_argument("--compare-checkpoint", help="our checkpoint at the last step: report the parameters' max diff")
    ap.add_argument("--log", help="write one JSON line per step here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    cfg = PRESETS[args.config]
    rows = PackedRows(args.data)
    vocab = rows.info["padded_vocab_size"]
    model = Model(cfg, vocab)
    count = sum(p.numel() for p in model.parameters())
    print(f"peer: {args.config}, {count:,} parameters, vocabulary {vocab}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {'torch.compile' if args.compile else 'eager'}", flush=True)
    if args.expect_params is not None:
        ok = count == args.expect_params
        print(f"check parameters: peer {count:,} vs moe-data {args.expect_params:,}: {'equal' if ok else 'DIFFER'}")
        if not ok:
            sys.exit(1)
    step, adam_step, state = 0, 0, None
    if args.checkpoint:
        from safetensors import safe_open
        from safetensors.numpy import load_file
        with safe_open(args.checkpoint, "np") as f:
            meta = f.metadata()
        state = load_file(args.checkpoint)
        model.load(state)
        step, adam_step = int(meta["step"]), int(meta["adam_step"])
        assert int(meta["data_epoch"]) == 0, "the peer reads rows in order from epoch 0"
        assert json.loads(meta["config"])["shuffle"] is False, "our run must use --no-shuffle"
        print(f"loaded {args.checkpoint}: step {step}, row {meta['data_cursor']}")
    else:
        model.load(our_init(cfg, vocab))
        print("initial weights: our MoEModel initialisation (seed 0), recomputed")
    opt = make_optimizer(model, cfg["lr"], state, adam_step)
    if args.compile:
        model.compile_parts()
    ours = {}
    if args.compare_log:
        with open(args.compare_log) as f:
            ours = {r["step"]: r for r in map(json.loads, f)}
    log = open(args.log, "w") if args.log else None
    worst = 0.0
    while step < args.steps:
        started = time.perf_counter()
        batch, tokens = make_batch(rows.row(step))
        loss, ce, aux, z, norm = train_step(model, opt, batch, learning_rate(cfg["lr"], step))
        seconds = time.perf_counter() - started
        step += 1
        line = f"step {step}: loss {loss:.6f} ce {ce:.6f} aux {aux:.5f} z {z:.4f} |g| {norm:.4f} " \
               f"{tokens / seconds:,.0f} tokens/s"
        if step in ours:
            o = ours[step]
            worst = max(worst, abs(o["loss"] - loss))
            line += f" | moe-data loss {o['loss']:.6f} (diff {o['loss'] - loss:+.2e})"
        print(line, flush=True)
        if log:
            log.write(json.dumps({"step": step, "loss": loss, "ce": ce, "tokens": tokens, "seconds": seconds}) + "\n")
    if ours:
        print(f"check losses: largest |moe-data - peer| over the compared steps: {worst:.2e}")
    if args.compare_checkpoint:
        from safetensors.numpy import load_file
        theirs, mine = load_file(args.compare_checkpoint), model.flat()
        diff = max(float(np.abs(theirs[k] - v).max()) for k, v in mine.items())
        print(f"check parameters after step {step}: largest |moe-data - peer| = {diff:.2e}")


if __name__ == "__main__":
    main()
