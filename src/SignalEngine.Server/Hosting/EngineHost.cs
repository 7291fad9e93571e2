using Orleans.Configuration;
using SignalEngine.Core.Events;
using SignalEngine.Core.Health;
using SignalEngine.Core.Rules;
using SignalEngine.Grains;
using SignalEngine.Storage.Postgres;
using SignalEngine.Server.Api;
using SignalEngine.Server.Delivery;
using SignalEngine.Server.Feed;
using SignalEngine.Server.Ingestion;

namespace SignalEngine.Server.Hosting;

/// <summary>Builds the engine: one process holding an Orleans silo and the HTTP API.</summary>
public static class EngineHost
{
    /// <param name="customize">Lets tests replace services (e.g. the clock) before the host is built.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        // appsettings.json (log levels) sits next to the binary: find it whatever directory the engine is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var settings = EngineSettings.From(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(EngineSettings.DefaultUrls);

        builder.Services.AddSingleton(settings);
        builder.Services.AddKeyedSingleton(EngineSilo.Clock, TimeProvider.System);
        builder.Services.AddSingleton(settings.EventLimits);
        builder.Services.AddSingleton(settings.Deduplication);
        builder.Services.AddSingleton(sp => new EventValidator(settings.EventLimits, sp.GetRequiredKeyedService<TimeProvider>(EngineSilo.Clock)));
        var (catalogue, health) = LoadCatalogue(builder.Configuration["SIGNALENGINE_CATALOG"]);
        builder.Services.AddSingleton(catalogue);
        builder.Services.AddSingleton(health);
        builder.Services.AddSingleton(new WorkspaceGrainOptions { CheckpointInterval = settings.CheckpointInterval });
        builder.Services.AddSingleton(new PlayLedgerOptions());
        builder.Services.AddSingleton(new WorkspaceMemoryTrimOptions { Policy = settings.MemoryTrim });
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));

        // Before the silo: its ADO.NET providers fail obscurely on a missing schema; this names the fix.
        if (settings.Storage == StorageMode.Postgres) builder.Services.AddHostedService<SchemaCheck>();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = "signalengine";
            });
            silo.Configure<GrainCollectionOptions>(o => o.ClassSpecificCollectionAge[typeof(WorkspaceGrain).FullName!] = settings.WorkspaceIdleAfter);
            // Each mode keeps its own delivery interval unless the operator set one.
            EventLogStreamOptions Tuned(EventLogStreamOptions defaults) => defaults with
            {
                Partitions = settings.Partitions,
                PollInterval = settings.DeliveryInterval ?? defaults.PollInterval,
                StreamIdleAfter = settings.WorkspaceIdleAfter,
            };
            if (settings.Storage == StorageMode.Postgres)
            {
                // Many silos on one PostgreSQL: each advertises its own ports; membership is in the database.
                silo.ConfigureEndpoints(System.Net.IPAddress.Loopback, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
                var durable = new DurableModeOptions(settings.PostgresConnectionString!, settings.Partitions);
                silo.AddSignalEngineDurableMode(durable with { Streams = Tuned(durable.Streams) });
            }
            else
            {
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort);
                silo.AddSignalEngineMemoryMode(Tuned(new EventLogStreamOptions()));
            }
        });

        // Registered after the silo, so they start once it runs.
        builder.Services.AddSingleton<IngestPipeline>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestPipeline>());
        builder.Services.AddSingleton<LivePlayFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LivePlayFeed>());
        builder.Services.AddHostedService<EngineTimeKeeper>();
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName);
        builder.Services.AddSingleton(settings.Webhooks);
        builder.Services.AddHostedService<WebhookDispatcher>();

        customize?.Invoke(builder);

        var app = builder.Build();
        MapEndpoints(app);
        AnnounceAtStart(app, settings);
        return app;
    }

    /// <summary>The shipped catalogue, or the file SIGNALENGINE_CATALOG names; any mistake stops the start.</summary>
    private static (RuleCatalogue, HealthModel) LoadCatalogue(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return (RuleCatalogue.Default, RuleCatalogue.DefaultHealth);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidConfigurationException([$"SIGNALENGINE_CATALOG: cannot read '{path}': {ex.Message}"]);
        }
        try
        {
            return CatalogueLoader.Load(text, path);
        }
        catch (CatalogueException ex)
        {
            throw new InvalidConfigurationException(ex.Errors);
        }
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/readyz", (IngestPipeline pipeline, LivePlayFeed feed) => pipeline.IsRunning && feed.IsSubscribed
            ? Results.Json(new { status = "ready" })
            : Results.Json(new { status = "starting" }, statusCode: StatusCodes.Status503ServiceUnavailable));

        var v1 = app.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        v1.MapPost("/events", EventsEndpoint.Post);
        v1.MapPut("/workspaces/{workspaceId}", WorkspacesEndpoints.Put);
        v1.MapGet("/workspaces/{workspaceId}", WorkspacesEndpoints.Get);
        v1.MapGet("/workspaces/{workspaceId}/health", WorkspacesEndpoints.GetHealth);
        v1.MapGet("/plays", PlaysEndpoints.Query);
        v1.MapGet("/plays/stream", PlaysEndpoints.Stream);
        v1.MapGet("/plays/{playId}", PlaysEndpoints.Get);
        v1.MapPost("/plays/{playId}/{action:regex(^(acknowledge|snooze|resolve)$)}", PlaysEndpoints.Act);
        SubscriptionsEndpoints.Map(v1);
    }

    private static void AnnounceAtStart(WebApplication app, EngineSettings settings)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SignalEngine");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (settings.Storage == StorageMode.Memory)
            {
                logger.LogWarning(
                    "MEMORY MODE — NOT DURABLE: events, workspace state and plays live only in this process and are lost when it stops. Use SIGNALENGINE_STORAGE=postgres for durable mode.");
            }
            if (settings.ApiKeyGenerated)
            {
                // Printed once, on stdout only, so it can be copied; never logged again.
                Console.WriteLine($"SIGNALENGINE_API_KEY was not set; generated API key for this run: {settings.ApiKey}");
            }
            logger.LogInformation("SignalEngine listening on {Urls}", string.Join(", ", app.Urls));
        });
    }
}
