using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Tests.Training;

/// <summary>A fact that xUnit reports as skipped, with the reason, where libxgboost cannot be loaded.</summary>
public sealed class XGBoostFactAttribute : FactAttribute
{
    public XGBoostFactAttribute()
    {
        if (!XGBoost.IsAvailable) Skip = "libxgboost is not installed (apt-get install libxgboost0)";
    }
}
