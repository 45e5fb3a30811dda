global using MlOps.Pipelines.Parameters;
