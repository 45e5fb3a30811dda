using Build;
using MlOps.Pipelines;
using MlOps.Pipelines.Examples;

return new PipelineHost()
    .Add<FlightDelays>(defaultTarget: x => x.Deploy)
    .Add<Repository>()
    .Run(args);
