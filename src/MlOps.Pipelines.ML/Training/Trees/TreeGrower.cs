using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlOps.Pipelines.ML.Training.Trees;

/// <summary>
/// Grows one regression tree on binned rows from per-row gradients and hessians, as XGBoost's hist updater:
/// gradient/hessian histograms per node, the smaller child built and its sibling got by subtraction, splits
/// scored by G²/(H + λ) with L1 soft-thresholding, missing values sent down the better side.
/// </summary>
/// <remarks>
/// Gradients are summed as 64-bit fixed-point integers (scaled per tree by a power of two so that no sum over the
/// rows can overflow; a quantum of about 2⁻⁴⁰ of the largest gradient, far finer than XGBoost's float gradients).
/// Integer addition is associative, so every histogram, and so every split, is exactly the same whichever
/// worker summed which rows in which order: the tree is bit-identical for any thread count, and the subtraction
/// trick gives exactly the histogram a direct build would.
/// </remarks>
internal sealed unsafe class TreeGrower
{
    /// <summary>Rows per work item: fixed, so the items never depend on the thread count.</summary>
    const int ChunkRows = 8192;

    /// <summary>XGBoost's kRtEps: a split must reduce the loss by more than this.</summary>
    const double MinGain = 1e-6;

    readonly BinnedMatrix _data;
    readonly BinLayout _layout;
    readonly GradientBoostedTreesOptions _options;
    readonly int _threads;
    readonly int _histLength;
    readonly int[][] _rows;
    readonly int[] _scratchRows;
    readonly int[]?[] _partitionScratch;
    readonly byte[] _sampled;
    readonly long[] _pairs;
    readonly Stack<long[]> _free = new();
    readonly long[]?[] _local;
    readonly double[] _workerMaxima;

    // The tree being grown: fixed-point to real factors, feature sample, where its leaf values go, and per
    // partition the parents' left-row counts and which parents split straight into leaves.
    double _toG, _toH;
    double[] _margins = [];
    int _k, _stride;
    int[] _leftTotals = [];
    bool[] _terminal = [];
    int[] _columns = [];
    int[] _columnOffsets = [];
    bool _allColumns;
    bool _subsampled;
    readonly List<TreeNode> _nodes = [];
    readonly List<GrowNode> _leaves = [];

    public TreeGrower(BinnedMatrix data, BinLayout layout, GradientBoostedTreesOptions options, int threads)
    {
        _data = data;
        _layout = layout;
        _options = options;
        _threads = threads;
        _histLength = 2 * layout.TotalBins;
        _rows = [new int[data.Rows], new int[data.Rows]];
        _scratchRows = new int[data.Rows];
        _partitionScratch = new int[threads][];
        _sampled = new byte[data.Rows];
        _pairs = GC.AllocateUninitializedArray<long>(2 * data.Rows);
        _local = new long[threads][];
        _workerMaxima = new double[2 * Workers.Chunks(data.Rows, ChunkRows)];
    }

    /// <summary>A node while the tree grows: its rows are the segment [Begin, Begin + Count) of row buffer Buffer.</summary>
    sealed class GrowNode
    {
        public int Id, Depth, Buffer, Begin, Count;
        public long G, H;
        public long[]? Hist;
        public Split Best = Split.None;

        /// <summary>A leaf whose value was added to its rows' margins when its parent split (see <see cref="Partition"/>).</summary>
        public bool Applied;
    }

    /// <summary>A candidate split: value bins 1 … Bin (and the missing values if DefaultLeft) go left.</summary>
    struct Split
    {
        public double Gain;
        public int Feature;
        public int Bin;
        public bool DefaultLeft;
        public long LeftG, LeftH;

        public static Split None => new() { Feature = -1, Gain = double.NegativeInfinity };
    }

    /// <summary>
    /// Grows tree number <paramref name="treeIndex"/> (which seeds its row and feature samples) from the gradients
    /// and hessians at [offset, offset + rows) of <paramref name="gradients"/> and <paramref name="hessians"/>, and
    /// adds its leaf values to <paramref name="margins"/>[r × stride + k] of every training row.
    /// </summary>
    public TreeNode[] Grow(double[] gradients, double[] hessians, int offset, int treeIndex, double[] margins, int k, int stride)
    {
        _nodes.Clear();
        _leaves.Clear();
        (_margins, _k, _stride) = (margins, k, stride);
        var treeSeed = Mix.Hash(_options.Seed ^ Mix.Hash((ulong)treeIndex + 1));
        var rootCount = Prepare(gradients, hessians, offset, treeSeed);
        ChooseColumns(treeSeed);

        var root = new GrowNode { Id = 0, Depth = 0, Buffer = 0, Begin = 0, Count = rootCount };
        _nodes.Add(new TreeNode { Feature = -1 });
        if (rootCount > 0)
        {
            root.Hist = Rent();
            Build([root]);
            // Every row is in exactly one bin of any feature: one feature's bins sum to the node's totals.
            var first = _layout.Offsets[_columns[0]];
            for (var b = 0; b < _layout.BinCount(_columns[0]); b++)
            {
                root.G += root.Hist[2 * (first + b)];
                root.H += root.Hist[2 * (first + b) + 1];
            }
            if (CanSplit(root)) Evaluate([root]);
        }
        if (_options.MaxLeaves > 0) GrowLossGuided(root);
        else GrowDepthWise(root);
        TreeNode[] tree = [.. _nodes];
        AddToMargins(tree);
        return tree;
    }

    /// <summary>Adds the leaf values not yet added to the margins of their rows, and the tree's values to rows out of the sample.</summary>
    void AddToMargins(TreeNode[] tree)
    {
        var (margins, k, stride) = (_margins, _k, _stride);
        var items = new List<(GrowNode Leaf, int Start, int Count)>();
        foreach (var leaf in _leaves.Where(l => !l.Applied))
            for (var s = 0; s < leaf.Count; s += ChunkRows) items.Add((leaf, leaf.Begin + s, Math.Min(ChunkRows, leaf.Count - s)));
        Workers.For(_threads, items.Count, (_, i) =>
        {
            var (leaf, start, count) = items[i];
            var value = tree[leaf.Id].Value;
            var rows = _rows[leaf.Buffer];
            for (var p = start; p < start + count; p++) margins[rows[p] * stride + k] += value;
        });
        // Rows left out of the sample reach their leaf through the splits, as new rows will.
        if (_subsampled)
            Workers.For(_threads, Workers.Chunks(_data.Rows, ChunkRows), (_, chunk) =>
            {
                var width = _data.Features;
                for (var r = chunk * ChunkRows; r < Math.Min(_data.Rows, (chunk + 1) * ChunkRows); r++)
                    if (_sampled[r] == 0)
                        margins[r * stride + k] += tree[TreeNode.LeafOfBins(tree, _data.Bins.AsSpan(r * width, width))].Value;
            });
    }

    /// <summary>Adds the tree's values to the margins of binned rows (validation rows, binned with the training cuts).</summary>
    public static void AddToMargins(TreeNode[] tree, BinnedMatrix data, double[] margins, int k, int stride, int threads) =>
        Workers.For(threads, Workers.Chunks(data.Rows, ChunkRows), (_, chunk) =>
        {
            var width = data.Features;
            for (var r = chunk * ChunkRows; r < Math.Min(data.Rows, (chunk + 1) * ChunkRows); r++)
                margins[r * stride + k] += tree[TreeNode.LeafOfBins(tree, data.Bins.AsSpan(r * width, width))].Value;
        });

    // ------------------------------------------------------------------ growth policies

    void GrowDepthWise(GrowNode root)
    {
        List<GrowNode> level = [root];
        while (level.Count > 0)
        {
            var splitting = new List<GrowNode>();
            foreach (var node in level)
                if (Accept(node.Best)) splitting.Add(node);
                else MakeLeaf(node);
            if (splitting.Count == 0) break;
            level = SplitNodes(splitting);
        }
    }

    void GrowLossGuided(GrowNode root)
    {
        var candidates = new List<GrowNode>();
        if (Accept(root.Best)) candidates.Add(root);
        else MakeLeaf(root);
        var leaves = 1;
        while (candidates.Count > 0 && leaves < _options.MaxLeaves)
        {
            // The largest gain first; ties go to the older node, so the order is fixed.
            var best = 0;
            for (var i = 1; i < candidates.Count; i++)
                if (candidates[i].Best.Gain > candidates[best].Best.Gain) best = i;
            var node = candidates[best];
            candidates.RemoveAt(best);
            leaves++;
            foreach (var child in SplitNodes([node]))
                if (Accept(child.Best)) candidates.Add(child);
                else MakeLeaf(child);
        }
        foreach (var node in candidates) MakeLeaf(node);
    }

    bool Accept(Split split) => split.Feature >= 0 && split.Gain > MinGain && split.Gain >= _options.Gamma;

    /// <summary>Whether a node of this hessian sum may be split (the hessian part of <see cref="CanSplit"/>).</summary>
    bool Splittable(long hessian) => hessian > 0 && hessian * _toH >= 2 * _options.MinChildWeight;

    /// <summary>Whether a node may still be split at all: below the depth limit, two rows, hessian enough for two children.</summary>
    bool CanSplit(GrowNode node) =>
        (_options.MaxDepth == 0 || node.Depth < _options.MaxDepth) && node.Count >= 2 && Splittable(node.H);

    void MakeLeaf(GrowNode node)
    {
        Release(node);
        var tree = CollectionsMarshal.AsSpan(_nodes);
        tree[node.Id].Feature = -1;
        tree[node.Id].Value = Weight(node.G * _toG, node.H * _toH) * _options.LearningRate;
        tree[node.Id].Cover = node.H * _toH;
        _leaves.Add(node);
    }

    // ------------------------------------------------------------------ splitting a set of nodes

    /// <summary>
    /// Partitions each node's rows by its best split, appends the children to the tree, builds the histograms
    /// of the children that may split further and evaluates them; returns the children, left before right.
    /// </summary>
    List<GrowNode> SplitNodes(List<GrowNode> parents)
    {
        Partition(parents);
        var children = new List<GrowNode>(2 * parents.Count);
        for (var i = 0; i < parents.Count; i++)
        {
            var parent = parents[i];
            var split = parent.Best;
            var leftCount = _leftTotals[i];
            var left = new GrowNode
            {
                Id = _nodes.Count, Depth = parent.Depth + 1, Buffer = 1 - parent.Buffer, Begin = parent.Begin, Count = leftCount,
                G = split.LeftG, H = split.LeftH,
            };
            var right = new GrowNode
            {
                Id = _nodes.Count + 1, Depth = parent.Depth + 1, Buffer = 1 - parent.Buffer, Begin = parent.Begin + leftCount,
                Count = parent.Count - leftCount, G = parent.G - split.LeftG, H = parent.H - split.LeftH,
            };
            _nodes.Add(new TreeNode { Feature = -1 });
            _nodes.Add(new TreeNode { Feature = -1 });
            var tree = CollectionsMarshal.AsSpan(_nodes);
            ref var node = ref tree[parent.Id];
            node.Feature = split.Feature;
            node.SplitBin = (byte)split.Bin;
            node.Threshold = _layout.Threshold(split.Feature, split.Bin);
            node.DefaultLeft = split.DefaultLeft;
            node.Left = left.Id;
            node.Right = right.Id;
            node.Gain = split.Gain;
            node.Cover = parent.H * _toH;
            left.Applied = right.Applied = _terminal[i];
            children.Add(left);
            children.Add(right);
        }

        // Histograms: the smaller child built from its rows, the larger one as parent − smaller (in the parent's buffer).
        var build = new List<GrowNode>();
        var pairs = new List<(GrowNode Parent, GrowNode Small, GrowNode Large)>();
        for (var i = 0; i < parents.Count; i++)
        {
            var (left, right) = (children[2 * i], children[2 * i + 1]);
            if (!CanSplit(left) && !CanSplit(right))
            {
                Release(parents[i]);
                continue;
            }
            var (small, large) = right.Count < left.Count ? (right, left) : (left, right);
            small.Hist = Rent();
            build.Add(small);
            pairs.Add((parents[i], small, large));
        }
        Build(build);
        var evaluate = new List<GrowNode>();
        foreach (var (parent, small, large) in pairs)
        {
            if (CanSplit(large))
            {
                Subtract(parent.Hist!, small.Hist!);
                large.Hist = parent.Hist;
                parent.Hist = null;
            }
            else Release(parent);
            if (CanSplit(small)) evaluate.Add(small);
            else Release(small);
            if (large.Hist is not null) evaluate.Add(large);
        }
        evaluate.Sort((a, b) => a.Id.CompareTo(b.Id));
        Evaluate(evaluate);
        return children;
    }

    /// <summary>
    /// Stable partition of each parent's rows into [left rows, right rows] in the other row buffer. Each chunk first
    /// splits its rows in place in a scratch buffer (branch-free: every row is written to both sides, the side it does
    /// not belong to overwritten by the next), then the chunks' runs are copied to their places. A parent whose
    /// children are sure to be leaves (at the depth limit, or too light to split) is not partitioned: its rows get
    /// their leaf's value added to their margins right away, which saves the deepest level's partition and most of
    /// the margin update.
    /// </summary>
    void Partition(List<GrowNode> parents)
    {
        _terminal = new bool[parents.Count];
        var leafValues = new double[2 * parents.Count];
        for (var i = 0; i < parents.Count; i++)
        {
            var parent = parents[i];
            var split = parent.Best;
            long rightH = parent.H - split.LeftH;
            _terminal[i] = (_options.MaxDepth > 0 && parent.Depth + 1 >= _options.MaxDepth) || (!Splittable(split.LeftH) && !Splittable(rightH));
            // Right first: indexed by "goes left" (0 or 1). The same arithmetic as MakeLeaf, so the same values.
            leafValues[2 * i] = Weight((parent.G - split.LeftG) * _toG, rightH * _toH) * _options.LearningRate;
            leafValues[2 * i + 1] = Weight(split.LeftG * _toG, split.LeftH * _toH) * _options.LearningRate;
        }
        var margins = _margins;
        var (k, stride) = (_k, _stride);
        var items = new List<(int Parent, int Start, int Count)>();
        for (var i = 0; i < parents.Count; i++)
            for (var s = 0; s < parents[i].Count; s += ChunkRows)
                items.Add((i, parents[i].Begin + s, Math.Min(ChunkRows, parents[i].Count - s)));
        var lefts = new int[items.Count];
        var columns = _data.Columns!;
        var rowCount = _data.Rows;
        Workers.For(_threads, items.Count, (worker, item) =>
        {
            var (p, start, count) = items[item];
            var parent = parents[p];
            var split = parent.Best;
            // Goes left, by bin: the missing bin by the default direction, value bins by the cut.
            var side = stackalloc byte[256];
            side[0] = (byte)(split.DefaultLeft ? 1 : 0);
            for (var b = 1; b < 256; b++) side[b] = (byte)(b <= split.Bin ? 1 : 0);
            var rights = _partitionScratch[worker] ??= new int[ChunkRows];
            unsafe
            {
                fixed (byte* column = &columns[split.Feature * rowCount])
                fixed (int* rows = &_rows[parent.Buffer][start])
                fixed (int* sorted = &_scratchRows[start])
                fixed (int* right = rights)
                fixed (double* margin = margins)
                fixed (double* pick = &leafValues[2 * p])
                {
                    if (_terminal[p]) AddLeafValues(rows, count, column, side, pick, margin, stride, k);
                    else lefts[item] = SplitRows(rows, count, column, side, sorted, right);
                }
            }
        });
        _leftTotals = new int[parents.Count];
        var leftBefore = new int[items.Count];
        var rightBefore = new int[items.Count];
        var runningRight = new int[parents.Count];
        for (var item = 0; item < items.Count; item++)
        {
            var p = items[item].Parent;
            leftBefore[item] = _leftTotals[p];
            rightBefore[item] = runningRight[p];
            _leftTotals[p] += lefts[item];
            runningRight[p] += items[item].Count - lefts[item];
        }
        Workers.For(_threads, items.Count, (_, item) =>
        {
            var (p, start, count) = items[item];
            var parent = parents[p];
            if (_terminal[p]) return;
            var target = _rows[1 - parent.Buffer];
            var left = lefts[item];
            _scratchRows.AsSpan(start, left).CopyTo(target.AsSpan(parent.Begin + leftBefore[item]));
            _scratchRows.AsSpan(start + left, count - left).CopyTo(target.AsSpan(parent.Begin + _leftTotals[p] + rightBefore[item]));
        });
    }

    /// <summary>Writes the rows going left to the front of <paramref name="sorted"/> and those going right after them, both in order; returns the left count.</summary>
    static unsafe int SplitRows(int* rows, int count, byte* column, byte* side, int* sorted, int* rights)
    {
        int left = 0, right = 0;
        for (var i = 0; i < count; i++)
        {
            var r = rows[i];
            int goesLeft = side[column[r]];
            sorted[left] = r;
            rights[right] = r;
            left += goesLeft;
            right += 1 - goesLeft;
        }
        new ReadOnlySpan<int>(rights, right).CopyTo(new Span<int>(sorted + left, right));
        return left;
    }

    /// <summary>Adds each row's leaf value (pick[1] left, pick[0] right) to its margin.</summary>
    static unsafe void AddLeafValues(int* rows, int count, byte* column, byte* side, double* pick, double* margins, nint stride, nint k)
    {
        for (var i = 0; i < count; i++)
        {
            nint r = rows[i];
            margins[r * stride + k] += pick[side[column[r]]];
        }
    }

    // ------------------------------------------------------------------ histograms

    long[] Rent() => _free.Count > 0 ? _free.Pop() : new long[_histLength];

    void Release(GrowNode node)
    {
        if (node.Hist is null) return;
        _free.Push(node.Hist);
        node.Hist = null;
    }

    /// <summary>Fills the histograms of <paramref name="nodes"/> (already rented) from their rows.</summary>
    void Build(List<GrowNode> nodes)
    {
        if (nodes.Count == 0) return;
        // Nodes of one chunk are summed straight into their histogram by whichever worker takes them; larger nodes,
        // when there are several workers, into per-worker histograms added up afterwards (integers: any order).
        var items = new List<(int Node, int Slot, int Start, int Count)>();
        var slots = 0;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            Array.Clear(node.Hist!);
            var chunks = Workers.Chunks(node.Count, ChunkRows);
            var slot = chunks > 1 && _threads > 1 ? slots++ : -1;
            for (var c = 0; c < chunks; c++)
                items.Add((i, slot, node.Begin + c * ChunkRows, Math.Min(ChunkRows, node.Count - c * ChunkRows)));
        }
        var touched = new bool[_threads, Math.Max(slots, 1)];
        Workers.For(_threads, items.Count, (worker, item) =>
        {
            var (i, slot, start, count) = items[item];
            var node = nodes[i];
            long[] target;
            var at = 0;
            if (slot < 0) target = node.Hist!;
            else
            {
                var local = _local[worker];
                if (local is null || local.Length < slots * _histLength) _local[worker] = local = new long[slots * _histLength];
                target = local;
                at = slot * _histLength;
                if (!touched[worker, slot])
                {
                    touched[worker, slot] = true;
                    Array.Clear(local, at, _histLength);
                }
            }
            Accumulate(target.AsSpan(at, _histLength), _rows[node.Buffer].AsSpan(start, count));
        });
        if (slots == 0) return;
        var reduce = new List<(GrowNode Node, int Slot)>();
        foreach (var (i, slot, _, _) in items)
            if (slot >= 0 && (reduce.Count == 0 || reduce[^1].Slot != slot)) reduce.Add((nodes[i], slot));
        Workers.For(_threads, reduce.Count, (_, item) =>
        {
            var (node, slot) = reduce[item];
            for (var w = 0; w < _threads; w++)
                if (touched[w, slot]) Add(node.Hist!, _local[w].AsSpan(slot * _histLength, _histLength));
        });
    }

    /// <summary>
    /// The hot loop: every row adds its (g, h) pair, one 128-bit integer add, to one bin of each sampled feature.
    /// Rows of a deep node are scattered: their bins and pairs are prefetched a few rows ahead.
    /// </summary>
    unsafe void Accumulate(Span<long> hist, ReadOnlySpan<int> rows)
    {
        if (rows.IsEmpty) return;
        var k = _columnOffsets.Length;
        // Each sampled feature's histogram as an array of (g, h) pairs, and where its bin sits in a row.
        var bases = stackalloc Vector128<long>*[k];
        var positions = stackalloc nint[k];
        fixed (long* h = hist)
        fixed (byte* bins = _data.Bins)
        fixed (long* pairs = _pairs)
        fixed (int* rowIndex = rows)
        {
            for (var j = 0; j < k; j++)
            {
                bases[j] = (Vector128<long>*)(h + _columnOffsets[j]);
                positions[j] = _columns[j];
            }
            var scattered = rows[^1] - rows[0] != rows.Length - 1;
            if (_allColumns) AccumulateAll(bases, k, bins, _data.Features, (Vector128<long>*)pairs, rowIndex, rows.Length, scattered);
            else AccumulateSome(bases, positions, k, bins, _data.Features, (Vector128<long>*)pairs, rowIndex, rows.Length, scattered);
        }
    }

    const int PrefetchAhead = 12;

    static unsafe void Prefetch(byte* bins, nint width, Vector128<long>* pairs, int* rowIndex, nint i, nint n)
    {
        if (i + PrefetchAhead >= n || !Sse.IsSupported) return;
        var ahead = rowIndex[i + PrefetchAhead];
        Sse.Prefetch0(bins + ahead * width);
        Sse.Prefetch0(bins + ahead * width + width - 1);
        Sse.Prefetch0(pairs + ahead);
    }

    static unsafe void AccumulateAll(Vector128<long>** bases, nint k, byte* bins, nint width, Vector128<long>* pairs, int* rowIndex, nint n, bool scattered)
    {
        for (nint i = 0; i < n; i++)
        {
            if (scattered) Prefetch(bins, width, pairs, rowIndex, i, n);
            nint r = rowIndex[i];
            var pair = pairs[r];
            var row = bins + r * width;
            nint j = 0;
            for (; j <= k - 4; j += 4)
            {
                Vector128<long>* e0 = bases[j] + row[j], e1 = bases[j + 1] + row[j + 1], e2 = bases[j + 2] + row[j + 2], e3 = bases[j + 3] + row[j + 3];
                *e0 += pair;
                *e1 += pair;
                *e2 += pair;
                *e3 += pair;
            }
            for (; j < k; j++) *(bases[j] + row[j]) += pair;
        }
    }

    static unsafe void AccumulateSome(Vector128<long>** bases, nint* positions, nint k, byte* bins, nint width, Vector128<long>* pairs, int* rowIndex, nint n, bool scattered)
    {
        for (nint i = 0; i < n; i++)
        {
            if (scattered) Prefetch(bins, width, pairs, rowIndex, i, n);
            nint r = rowIndex[i];
            var pair = pairs[r];
            var row = bins + r * width;
            for (nint j = 0; j < k; j++) *(bases[j] + row[positions[j]]) += pair;
        }
    }

    static void Add(Span<long> target, ReadOnlySpan<long> source)
    {
        var i = 0;
        for (; i <= target.Length - Vector<long>.Count; i += Vector<long>.Count)
            (new Vector<long>(target[i..]) + new Vector<long>(source[i..])).CopyTo(target[i..]);
        for (; i < target.Length; i++) target[i] += source[i];
    }

    static void Subtract(Span<long> target, ReadOnlySpan<long> source)
    {
        var i = 0;
        for (; i <= target.Length - Vector<long>.Count; i += Vector<long>.Count)
            (new Vector<long>(target[i..]) - new Vector<long>(source[i..])).CopyTo(target[i..]);
        for (; i < target.Length; i++) target[i] -= source[i];
    }

    // ------------------------------------------------------------------ split finding

    /// <summary>Sets the best split of every node (from its histogram), one work item per node and sampled feature.</summary>
    void Evaluate(List<GrowNode> nodes)
    {
        if (nodes.Count == 0) return;
        var k = _columns.Length;
        var results = new Split[nodes.Count * k];
        Workers.For(_threads, results.Length, (_, item) =>
            results[item] = EvaluateFeature(nodes[item / k], _columns[item % k]));
        for (var i = 0; i < nodes.Count; i++)
        {
            var best = Split.None;
            // Features in ascending order, strictly better gains only: ties go to the lower feature.
            for (var j = 0; j < k; j++)
                if (results[i * k + j].Gain > best.Gain) best = results[i * k + j];
            nodes[i].Best = best;
        }
    }

    Split EvaluateFeature(GrowNode node, int feature)
    {
        var hist = node.Hist!;
        var first = 2 * _layout.Offsets[feature];
        var bins = _layout.BinCount(feature);
        long missingG = hist[first], missingH = hist[first + 1];
        var hasMissing = missingG != 0 || missingH != 0;
        var parentGain = Gain(node.G * _toG, node.H * _toH);
        var best = Split.None;
        // Only the missing values left, the rest right: how XGBoost learns that missingness itself is informative.
        if (hasMissing) Consider(ref best, node, parentGain, feature, 0, missingG, missingH, defaultLeft: true);
        long leftG = 0, leftH = 0;
        // Value bins 1 … b left for b = 1 … last − 1; the missing values tried on either side.
        for (var b = 1; b < bins - 1; b++)
        {
            leftG += hist[first + 2 * b];
            leftH += hist[first + 2 * b + 1];
            if (hasMissing)
            {
                Consider(ref best, node, parentGain, feature, b, leftG, leftH, defaultLeft: false);
                Consider(ref best, node, parentGain, feature, b, leftG + missingG, leftH + missingH, defaultLeft: true);
            }
            else
            {
                // No missing value here to learn from: new ones follow the larger child (more rows' evidence).
                Consider(ref best, node, parentGain, feature, b, leftG, leftH, defaultLeft: 2 * leftH >= node.H);
            }
        }
        return best;
    }

    void Consider(ref Split best, GrowNode node, double parentGain, int feature, int bin, long leftG, long leftH, bool defaultLeft)
    {
        var rightH = node.H - leftH;
        if (leftH <= 0 || rightH <= 0) return;
        double hl = leftH * _toH, hr = rightH * _toH;
        if (hl < _options.MinChildWeight || hr < _options.MinChildWeight) return;
        var gain = Gain(leftG * _toG, hl) + Gain((node.G - leftG) * _toG, hr) - parentGain;
        if (!(gain > best.Gain)) return;
        best = new Split { Gain = gain, Feature = feature, Bin = bin, DefaultLeft = defaultLeft, LeftG = leftG, LeftH = leftH };
    }

    /// <summary>sign(G)·max(|G| − α, 0): the L1 penalty's soft threshold.</summary>
    double ThresholdL1(double g) => g > _options.Alpha ? g - _options.Alpha : g < -_options.Alpha ? g + _options.Alpha : 0;

    /// <summary>XGBoost's CalcGain: the loss reduction of a node with these sums, T(G)²/(H + λ).</summary>
    double Gain(double g, double h)
    {
        var t = ThresholdL1(g);
        return t * t / (h + _options.Lambda);
    }

    /// <summary>XGBoost's CalcWeight: −T(G)/(H + λ), or 0 when the hessian is below the minimum child weight.</summary>
    double Weight(double g, double h) => h < _options.MinChildWeight || h <= 0 ? 0 : -ThresholdL1(g) / (h + _options.Lambda);

    // ------------------------------------------------------------------ per-tree preparation

    /// <summary>Quantises the gradients, draws the row sample and fills row buffer 0 with it; returns its size.</summary>
    int Prepare(double[] gradients, double[] hessians, int offset, ulong treeSeed)
    {
        var n = _data.Rows;
        var chunks = Workers.Chunks(n, ChunkRows);
        Workers.For(_threads, chunks, (_, chunk) =>
        {
            var start = chunk * ChunkRows;
            var count = Math.Min(n, start + ChunkRows) - start;
            _workerMaxima[2 * chunk] = MaxAbs(gradients.AsSpan(offset + start, count));
            _workerMaxima[2 * chunk + 1] = MaxAbs(hessians.AsSpan(offset + start, count));
        });
        double maxG = 0, maxH = 0;
        for (var c = 0; c < chunks; c++)
        {
            maxG = Math.Max(maxG, _workerMaxima[2 * c]);
            maxH = Math.Max(maxH, _workerMaxima[2 * c + 1]);
        }
        // n · max|g| · scale < 2^62: no sum of quantised values can overflow a long.
        var scaleG = Scale(n, maxG);
        var scaleH = Scale(n, maxH);
        _toG = 1 / scaleG;
        _toH = 1 / scaleH;
        var subsample = _options.Subsample;
        _subsampled = subsample < 1;
        var counts = new int[chunks];
        var rows = _rows[0];
        Workers.For(_threads, chunks, (_, chunk) =>
        {
            var start = chunk * ChunkRows;
            var end = Math.Min(n, start + ChunkRows);
            Quantize(gradients.AsSpan(offset + start, end - start), hessians.AsSpan(offset + start, end - start), scaleG, scaleH, _pairs.AsSpan(2 * start, 2 * (end - start)));
            if (!_subsampled)
            {
                for (var r = start; r < end; r++) rows[r] = r;
                counts[chunk] = end - start;
                return;
            }
            var taken = 0;
            for (var r = start; r < end; r++)
            {
                var keep = Mix.Unit(Mix.Hash(treeSeed + (ulong)r)) < subsample;
                _sampled[r] = (byte)(keep ? 1 : 0);
                taken += keep ? 1 : 0;
            }
            counts[chunk] = taken;
        });
        var total = counts.Sum();
        if (!_subsampled) return total;
        var starts = new int[chunks];
        for (var c = 1; c < chunks; c++) starts[c] = starts[c - 1] + counts[c - 1];
        Workers.For(_threads, chunks, (_, chunk) =>
        {
            var end = Math.Min(n, (chunk + 1) * ChunkRows);
            var at = starts[chunk];
            for (var r = chunk * ChunkRows; r < end; r++)
                if (_sampled[r] != 0) rows[at++] = r;
        });
        return total;
    }

    static double MaxAbs(ReadOnlySpan<double> values)
    {
        var max = Vector256<double>.Zero;
        var i = 0;
        for (; i <= values.Length - 4; i += 4) max = Vector256.Max(max, Vector256.Abs(Vector256.Create(values[i..])));
        var result = Math.Max(Math.Max(max[0], max[1]), Math.Max(max[2], max[3]));
        for (; i < values.Length; i++) result = Math.Max(result, Math.Abs(values[i]));
        return result;
    }

    /// <summary>(g, h) pairs rounded to the nearest fixed-point integers (ties to even, in the vector path as in Math.Round).</summary>
    static void Quantize(ReadOnlySpan<double> gradients, ReadOnlySpan<double> hessians, double scaleG, double scaleH, Span<long> pairs)
    {
        var i = 0;
        if (Avx2.IsSupported)
        {
            var sg = Vector256.Create(scaleG);
            var sh = Vector256.Create(scaleH);
            for (; i <= gradients.Length - 4; i += 4)
            {
                var g = Vector256.ConvertToInt64(Vector256.Round(Vector256.Create(gradients[i..]) * sg));
                var h = Vector256.ConvertToInt64(Vector256.Round(Vector256.Create(hessians[i..]) * sh));
                // [g0 h0 g2 h2] and [g1 h1 g3 h3], then their halves recombined in row order.
                var low = Avx2.UnpackLow(g, h);
                var high = Avx2.UnpackHigh(g, h);
                Avx2.Permute2x128(low, high, 0x20).CopyTo(pairs[(2 * i)..]);
                Avx2.Permute2x128(low, high, 0x31).CopyTo(pairs[(2 * i + 4)..]);
            }
        }
        for (; i < gradients.Length; i++)
        {
            pairs[2 * i] = (long)Math.Round(gradients[i] * scaleG);
            pairs[2 * i + 1] = (long)Math.Round(hessians[i] * scaleH);
        }
    }

    static double Scale(int n, double max) =>
        max > 0 && double.IsFinite(max)
            ? Math.ScaleB(1.0, Math.Clamp(60 - Math.ILogB((double)n) - Math.ILogB(max), -1000, 1000))
            : 1;

    /// <summary>The tree's feature sample: max(1, ⌊share × features⌋) features drawn without replacement, in column order.</summary>
    void ChooseColumns(ulong treeSeed)
    {
        var features = _data.Features;
        var count = Math.Max(1, (int)(_options.ColSampleByTree * features));
        _allColumns = count == features;
        if (_allColumns) _columns = [.. Enumerable.Range(0, features)];
        else
        {
            var order = Enumerable.Range(0, features).ToArray();
            var state = treeSeed ^ 0x5DEECE66DUL;
            for (var i = features - 1; i > 0; i--)
            {
                state = Mix.Hash(state);
                var j = (int)(state % (ulong)(i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }
            _columns = [.. order.Take(count).Order()];
        }
        _columnOffsets = [.. _columns.Select(f => 2 * _layout.Offsets[f])];
    }
}
