namespace MlOps.Pipelines.ML.Training.Trees;

/// <summary>
/// One node of a regression tree; a tree is an array of them with the root first and children after their parent.
/// A split sends x &lt; <see cref="Threshold"/> left, other values right and NaN to the learnt default side.
/// </summary>
internal struct TreeNode
{
    /// <summary>Column the split reads; −1 for a leaf.</summary>
    public int Feature;
    public float Threshold;
    public int Left;
    public int Right;
    public bool DefaultLeft;

    /// <summary>Training only (not saved): the split as bins — value bins 1 … SplitBin go left.</summary>
    public byte SplitBin;

    /// <summary>A leaf's output (weight × learning rate); 0 for a split.</summary>
    public double Value;

    /// <summary>A split's loss reduction (XGBoost's gain); 0 for a leaf.</summary>
    public double Gain;

    /// <summary>Hessian sum of the training rows that reached the node (XGBoost's cover).</summary>
    public double Cover;

    public readonly bool IsLeaf => Feature < 0;

    /// <summary>The leaf a binned row reaches; the same leaf as the raw row reaches through the thresholds.</summary>
    public static int LeafOfBins(TreeNode[] tree, ReadOnlySpan<byte> rowBins)
    {
        var node = 0;
        while (true)
        {
            ref readonly var n = ref tree[node];
            if (n.Feature < 0) return node;
            int bin = rowBins[n.Feature];
            // Branch-free: value bins 1 … SplitBin, or the missing bin 0 when missing values default left.
            var left = ((uint)(bin - 1) < n.SplitBin) | ((bin == 0) & n.DefaultLeft);
            node = n.Right - (left ? 1 : 0) * (n.Right - n.Left);
        }
    }
}
