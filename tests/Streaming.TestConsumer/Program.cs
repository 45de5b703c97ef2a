using Streaming.Consumer;
using Streaming.TestConsumer;

return await ConsumerApp.RunAsync(args, catalog => MarkerProcessors.Register(catalog));
