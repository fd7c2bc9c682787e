"""What readers type into the site's search, and the section that answers each.

tests/browser/test_search.py types every query into the site in chromium, and
benchmarks/search_hits.py replays them through Material's search worker in node, so both measure
the same list. Plain data: the benchmark imports it without pytest or a browser.

Where READER_QUERIES come from: the questions people ask about PyTorch, found with the `search`
tool in its `pages` and `issues` corpora (Stack Overflow and Q&A mirrors, PyTorch forum threads,
tutorials written to answer them, GitHub issues): "How do I save a trained model in PyTorch?",
"Check the total number of parameters in a PyTorch model" (Keras' model.summary()), "How to get
the output of an intermediate layer", "How to get the current learning rate", "Change the
learning rate during training", "learning rate warmup", "split a dataset into train and
validation", "per-sample gradients with vmap", "model.eval() vs torch.no_grad()", "Replacing the
classifier head" (`model.fc` of a ResNet), and their neighbours: tensors and NumPy, autograd,
layers, losses and metrics, data loading, devices and memory, mixed precision, compile, export,
reproducibility and distributed training. Each query is written the way those questions put it,
not the way this site's headings do, and every candidate is here, landing or not: a query the
site does not answer yet is in KNOWN_MISSES, never dropped.

Content gaps: questions people ask often that no section of the site answers, so no query for
them is in the list: early stopping, focal loss, one-hot encoding (F.one_hot appears only inside
other sections), loading images from folders with ImageFolder, logging to TensorBoard, and
torchinfo-style summaries with parameter totals per module tree.
"""

READER_QUERIES = [
    # saving and loading
    ("save model", "training/saving/#save-and-load-a-models-state_dict"),
    ("load model", "training/saving/#save-and-load-a-models-state_dict"),
    ("state_dict", "training/saving/#save-and-load-a-models-state_dict"),
    (
        "save checkpoint and resume training",
        "training/saving/#save-a-checkpoint-that-resumes-training-exactly",
    ),
    ("resume training", "training/saving/#save-a-checkpoint-that-resumes-training-exactly"),
    ("save best model", "training/saving/#snapshot-the-best-weights-with-a-deep-copy"),
    ("load gpu model on cpu", "training/saving/#load-onto-another-device-with-map_location"),
    ("map_location", "training/saving/#load-onto-another-device-with-map_location"),
    ("weights_only", "training/saving/#load-with-weights_onlytrue"),
    ("strict=False", "training/saving/#load-part-of-a-model-with-strictfalse"),
    (
        "size mismatch when loading state_dict",
        "training/saving/#drop-layers-whose-shape-changed-before-loading",
    ),
    (
        "module. prefix in state_dict keys",
        "models/inspect/#strip-the-module-prefix-that-dataparallel-and-ddp-add",
    ),
    ("safetensors", "performance/export/#save-weights-as-safetensors"),
    ("export to onnx", "performance/export/#export-a-model-to-onnx"),
    ("torchscript", "performance/export/#know-that-torchscript-is-deprecated"),
    ("torch.export", "performance/graphs/#export-a-model-as-one-static-graph"),
    # inspecting and changing a model
    ("count parameters", "models/inspect/#count-a-models-parameters"),
    ("number of trainable parameters", "models/inspect/#count-only-the-trainable-parameters"),
    (
        "model summary",
        "models/inspect/#print-a-model-summary-each-layers-output-shape-and-parameters",
    ),
    ("print model", "models/modules/#print-a-models-structure"),
    (
        "get output of intermediate layer",
        "models/inspect/#get-the-output-of-an-intermediate-layer-with-a-forward-hook",
    ),
    (
        "register_forward_hook",
        "models/inspect/#get-the-output-of-an-intermediate-layer-with-a-forward-hook",
    ),
    ("freeze layers", "models/inspect/#freeze-layers-with-requires_grad_false"),
    ("unfreeze layers", "models/inspect/#unfreeze-layers-later-in-training"),
    ("replace last layer", "models/inspect/#replace-the-last-layer-such-as-a-resnets-modelfc"),
    ("model.fc", "models/inspect/#replace-the-last-layer-such-as-a-resnets-modelfc"),
    ("remove last layer", "models/inspect/#remove-the-last-layer-with-nnidentity"),
    ("nn.Identity", "models/inspect/#remove-the-last-layer-with-nnidentity"),
    ("replace relu with gelu", "models/inspect/#replace-every-relu-with-gelu"),
    ("named_parameters", "models/modules/#list-a-modules-parameters"),
    ("nn.Parameter", "models/modules/#write-a-layer-with-nnparameter"),
    ("register_buffer", "models/modules/#keep-a-tensor-that-is-not-trained-in-a-buffer"),
    ("nn.Sequential", "models/containers/#chain-layers-with-nnsequential"),
    ("nn.ModuleList", "models/containers/#hold-a-variable-number-of-layers-in-nnmodulelist"),
    ("nn.ModuleDict", "models/containers/#pick-layers-by-name-with-nnmoduledict"),
    (
        "weight initialization",
        "models/init/#apply-a-weight-initialization-to-every-layer-with-apply",
    ),
    ("kaiming", "models/init/#fill-a-weight-with-kaiming-he-initialization"),
    ("xavier", "models/init/#fill-a-weight-with-xavier-glorot-initialization"),
    ("model.eval()", "models/train-eval/#switch-a-model-between-training-and-evaluation-mode"),
    (
        "model.eval() vs torch.no_grad()",
        "models/train-eval/#combine-modeleval-with-torchno_grad-for-inference",
    ),
    ("dropout at test time", "models/train-eval/#turn-dropout-off-at-test-time-in-evaluation-mode"),
    ("freeze batchnorm", "models/train-eval/#freeze-batch-norm-statistics-while-fine-tuning"),
    (
        "transfer learning",
        "recipes/pretrained/#replace-the-head-for-transfer-learning-to-a-new-task",
    ),
    ("fine tuning", "recipes/pretrained/#fine-tune-with-a-smaller-learning-rate-for-the-backbone"),
    ("pretrained=True deprecated", "recipes/pretrained/#replace-pretrainedtrue-with-weights"),
    ("feature extractor", "recipes/pretrained/#use-the-network-as-a-fixed-feature-extractor"),
    # layers
    ("conv2d output size", "models/convolution/#compute-the-output-size"),
    ("padding same", "models/convolution/#keep-the-size-with-paddingsame"),
    (
        "depthwise separable convolution",
        "models/convolution/#build-a-depthwise-separable-convolution",
    ),
    ("global average pooling", "models/convolution/#pool-globally-to-one-value-per-channel"),
    ("LazyLinear", "models/convolution/#let-lazylinear-find-its-input-size"),
    ("lstm output shape", "models/rnn/#create-an-lstm-and-read-its-output-shapes"),
    ("batch_first", "models/rnn/#put-the-batch-first"),
    ("bidirectional lstm", "models/rnn/#run-a-bidirectional-lstm-in-both-directions"),
    (
        "pad variable length sequences",
        "models/sequences/#pad-a-batch-of-sequences-with-pad_sequence",
    ),
    (
        "pack_padded_sequence",
        "models/sequences/#pack-a-padded-batch-with-pack_padded_sequence-and-unpack-it",
    ),
    ("nn.Embedding", "models/sequences/#look-up-token-vectors-with-nnembedding"),
    (
        "pretrained word embeddings",
        "models/sequences/#load-pretrained-word-embeddings-with-from_pretrained",
    ),
    (
        "scaled_dot_product_attention",
        "models/attention/#compute-attention-with-scaled_dot_product_attention",
    ),
    ("causal mask", "models/attention/#mask-the-future-with-a-causal-mask"),
    ("MultiheadAttention", "models/attention/#run-multi-head-attention-with-nnmultiheadattention"),
    ("TransformerEncoder", "models/attention/#stack-layers-with-transformerencoder"),
    ("positional encoding", "models/attention/#add-sinusoidal-positional-encodings"),
    (
        "softmax",
        "reference/activations/#normalize-over-a-dimension-softmax-softmin-logsoftmax-softmax2d",
    ),
    # tensors
    ("tensor to numpy", "basics/tensors/#convert-a-tensor-to-and-from-numpy"),
    ("numpy to tensor", "basics/tensors/#convert-a-tensor-to-and-from-numpy"),
    ("cuda tensor to numpy", "basics/devices/#convert-a-gpu-tensor-to-numpy"),
    ("tensor to python number", "basics/tensors/#get-a-python-number-out-of-a-tensor"),
    ("view vs reshape", "basics/tensors/#use-reshape-where-view-fails-on-a-non-contiguous-tensor"),
    ("permute", "basics/tensors/#reorder-dimensions"),
    ("unsqueeze", "basics/tensors/#add-or-remove-a-dimension-of-size-1"),
    ("squeeze", "basics/tensors/#add-or-remove-a-dimension-of-size-1"),
    ("flatten", "basics/tensors/#flatten-all-but-the-batch-dimension"),
    ("concatenate tensors", "basics/tensors/#concatenate-tensors-with-torchcat-and-torchstack"),
    ("torch.cat", "basics/tensors/#concatenate-tensors-with-torchcat-and-torchstack"),
    ("torch.stack", "basics/tensors/#concatenate-tensors-with-torchcat-and-torchstack"),
    ("torch.where", "basics/tensors/#choose-elementwise-between-two-values-with-torchwhere"),
    ("torch.gather", "basics/tensors/#pick-one-value-per-row-with-torchgather"),
    ("boolean mask", "basics/tensors/#select-with-a-boolean-mask"),
    ("broadcasting", "basics/tensors/#combine-tensors-of-different-shapes-by-broadcasting"),
    ("argmax", "basics/tensors/#find-the-maximum-and-its-index-with-max-and-argmax"),
    ("bmm", "basics/tensors/#multiply-batches-of-matrices"),
    ("einsum", "basics/tensors/#write-a-contraction-with-einsum"),
    (
        "convert tensor to float",
        "basics/dtypes/#convert-a-tensor-to-float-long-or-bool-with-the-shorthand-methods",
    ),
    # autograd
    ("requires_grad", "basics/autograd/#ask-autograd-to-track-a-tensor-with-requires_grad"),
    ("detach", "basics/autograd/#cut-a-tensor-out-of-the-graph-with-detach"),
    ("torch.no_grad", "basics/autograd/#stop-tracking-inside-torchno_grad"),
    ("torch.inference_mode", "basics/autograd/#run-inference-in-torchinference_mode"),
    ("set_grad_enabled", "basics/autograd/#switch-tracking-on-and-off-with-set_grad_enabled"),
    ("retain_graph", "basics/autograd/#backpropagate-twice-through-one-graph"),
    ("backward on non-scalar output", "basics/autograd/#backpropagate-from-a-non-scalar"),
    (
        "torch.autograd.grad",
        "basics/autograd/#get-gradients-with-torchautogradgrad-without-touching-grad",
    ),
    ("register_hook", "basics/autograd/#inspect-or-change-a-gradient-with-a-hook"),
    ("gradcheck", "basics/autograd/#check-a-gradient-numerically-with-gradcheck"),
    ("custom autograd function", "models/func/#write-a-custom-autogradfunction"),
    ("per-sample gradients", "models/func/#compute-per-sample-gradients"),
    ("vmap", "models/func/#batch-a-one-sample-function-with-vmap"),
    ("jacobian", "models/func/#compute-a-jacobian-with-jacrev-and-jacfwd"),
    ("hessian", "models/func/#compute-a-hessian-with-hessian"),
    ("gradient penalty", "models/func/#add-a-gradient-penalty-as-in-wgan-gp"),
    ("gradient checkpointing", "models/func/#save-memory-with-gradient-checkpointing"),
    # optimizers and schedules
    (
        "optimizer.zero_grad()",
        "training/optimizers/#clear-gradients-with-optimizerzero_grad-before-each-backward",
    ),
    (
        "zero_grad",
        "training/optimizers/#clear-gradients-with-optimizerzero_grad-before-each-backward",
    ),
    ("gradient clipping", "training/optimizers/#clip-gradients"),
    ("clip_grad_norm_", "training/optimizers/#clip-gradients"),
    (
        "gradient accumulation",
        "training/optimizers/#simulate-a-larger-batch-with-gradient-accumulation",
    ),
    ("adamw weight decay", "training/optimizers/#decay-weights-with-adamw"),
    ("l2 regularization", "training/losses/#add-l2-regularization-as-weight-decay"),
    (
        "different learning rate for each layer",
        "training/optimizers/#give-each-part-of-a-model-a-different-learning-rate",
    ),
    ("change learning rate", "training/optimizers/#change-the-learning-rate-during-training"),
    ("get current learning rate", "reference/schedulers/#read-the-current-learning-rate"),
    ("get_last_lr", "reference/schedulers/#read-the-current-learning-rate"),
    ("learning rate warmup", "training/optimizers/#warm-up-the-learning-rate-then-decay-it"),
    (
        "scheduler.step() before optimizer.step()",
        "training/optimizers/#step-the-scheduler-after-the-optimizer",
    ),
    ("StepLR", "reference/schedulers/#cut-the-rate-every-few-epochs-with-steplr"),
    (
        "ReduceLROnPlateau",
        "reference/schedulers/#lower-the-rate-when-the-validation-loss-stops-improving-with-reducelronplateau",
    ),
    ("OneCycleLR", "reference/schedulers/#run-one-cycle-with-onecyclelr"),
    ("CosineAnnealingLR", "reference/schedulers/#anneal-along-a-cosine-with-cosineannealinglr"),
    ("LBFGS closure", "reference/optimizers/#minimize-with-lbfgs-and-a-closure"),
    # losses and metrics
    ("cross entropy loss", "training/losses/#compute-a-cross-entropy-loss-with-crossentropyloss"),
    ("BCEWithLogitsLoss", "training/losses/#use-bcewithlogitsloss-for-binary-targets"),
    ("class weights", "training/losses/#give-rare-classes-larger-weights-in-the-loss"),
    ("label smoothing", "training/losses/#soften-one-hot-targets-with-label-smoothing"),
    ("ignore_index", "training/losses/#skip-padded-positions-with-ignore_index"),
    ("pos_weight", "reference/loss-functions/#bcewithlogitsloss-with-pos_weight"),
    (
        "multi-label classification loss",
        "reference/loss-functions/#predict-binary-and-multi-label-targets",
    ),
    ("KL divergence", "reference/loss-functions/#kldivloss-with-reductionbatchmean"),
    ("huber loss", "reference/loss-functions/#smoothl1loss-and-huberloss"),
    ("triplet loss", "reference/loss-functions/#tripletmarginloss"),
    ("CTC loss", "reference/loss-functions/#align-sequences-with-ctcloss"),
    ("calculate accuracy", "training/metrics/#calculate-the-accuracy-of-a-batch"),
    (
        "evaluate model on test set",
        "training/metrics/#evaluate-a-model-on-the-test-sets-data-loader",
    ),
    ("confusion matrix", "training/metrics/#build-a-confusion-matrix"),
    ("top-k accuracy", "training/metrics/#compute-top-k-accuracy"),
    # data
    ("custom dataset", "training/data/#write-a-custom-map-style-dataset"),
    ("TensorDataset", "training/data/#wrap-tensors-in-a-tensordataset"),
    (
        "train validation split",
        "training/data/#split-a-dataset-into-training-and-validation-sets-with-random_split",
    ),
    (
        "random_split",
        "training/data/#split-a-dataset-into-training-and-validation-sets-with-random_split",
    ),
    ("drop_last", "training/data/#drop-the-last-incomplete-batch-with-drop_last"),
    ("num_workers", "training/data/#load-in-worker-processes"),
    ("pin_memory", "training/data/#pin-memory-for-faster-copies-to-the-gpu"),
    ("collate_fn", "training/data/#batch-samples-of-different-lengths"),
    (
        "imbalanced dataset",
        "training/data/#balance-an-imbalanced-dataset-with-weightedrandomsampler",
    ),
    (
        "WeightedRandomSampler",
        "training/data/#balance-an-imbalanced-dataset-with-weightedrandomsampler",
    ),
    ("IterableDataset", "training/data/#stream-data-with-an-iterabledataset"),
    ("normalize images", "training/transforms/#normalize-images-channel-by-channel"),
    ("compute mean and std of dataset", "training/transforms/#compute-a-data-sets-mean-and-std"),
    ("data augmentation", "training/transforms/#build-the-training-and-test-pipelines"),
    ("ToTensor", "training/transforms/#know-what-the-legacy-totensor-did"),
    ("load cifar10", "training/transforms/#load-cifar-10-from-torchvision"),
    # devices, memory and speed
    (
        "check if gpu is available",
        "basics/devices/#check-whether-a-gpu-is-available-with-torchcudais_available",
    ),
    (
        "torch.cuda.is_available()",
        "basics/devices/#check-whether-a-gpu-is-available-with-torchcudais_available",
    ),
    ("model.to(device)", "basics/devices/#move-a-model-to-a-device"),
    ("mps apple silicon", "basics/devices/#find-the-accelerator-with-torchaccelerator"),
    (
        "expected all tensors to be on the same device",
        "basics/devices/#keep-all-tensors-of-an-operation-on-the-same-device",
    ),
    (
        "torch.cuda.empty_cache",
        "basics/devices/#return-cached-gpu-memory-with-torchcudaempty_cache",
    ),
    ("cudnn.benchmark", "basics/devices/#let-cudnn-benchmark-convolutions"),
    (
        "mixed precision training",
        "training/mixed-precision/#train-in-mixed-precision-with-float16-and-gradscaler",
    ),
    (
        "GradScaler",
        "training/mixed-precision/#train-in-mixed-precision-with-float16-and-gradscaler",
    ),
    ("tf32", "training/mixed-precision/#choose-tf32-for-float32-matmuls-on-cuda"),
    (
        "torch.compile",
        "performance/compile/#compile-a-model-with-modelcompile-or-torchcompilemodel",
    ),
    ("graph break", "performance/graphs/#find-where-a-compiled-function-breaks-its-graph"),
    ("torch.profiler", "performance/profiling/#find-the-slowest-operations-with-torchprofiler"),
    (
        "measure inference time",
        "performance/profiling/#synchronize-before-reading-the-clock-on-a-gpu",
    ),
    ("max_memory_allocated", "performance/profiling/#measure-peak-gpu-memory"),
    ("memory leak during training", "reference/pitfalls/#memory-grows-with-every-batch"),
    ("channels_last", "performance/profiling/#store-images-channels_last"),
    # reproducibility
    ("set random seed", "training/reproducibility/#seed-every-random-number-generator"),
    (
        "use_deterministic_algorithms",
        "training/reproducibility/#make-pytorch-raise-on-nondeterministic-operations",
    ),
    ("worker_init_fn", "training/reproducibility/#seed-numpy-and-random-in-dataloader-workers"),
    # distributed
    (
        "multi gpu training",
        "distributed/ddp/#wrap-a-model-in-distributeddataparallel-for-multi-gpu-training",
    ),
    (
        "DistributedDataParallel",
        "distributed/ddp/#wrap-a-model-in-distributeddataparallel-for-multi-gpu-training",
    ),
    ("torchrun", "distributed/ddp/#launch-one-process-per-gpu-with-torchrun"),
    ("init_process_group", "distributed/ddp/#start-a-process-group-with-init_process_group"),
    ("DistributedSampler", "distributed/ddp/#shard-a-data-set-with-distributedsampler"),
    ("set_epoch", "distributed/ddp/#reshuffle-every-epoch-with-set_epoch"),
    ("all_reduce", "distributed/ddp/#sum-a-tensor-across-ranks-with-all_reduce"),
    ("SyncBatchNorm", "distributed/ddp/#synchronise-batch-norm-statistics"),
    ("find_unused_parameters", "distributed/ddp/#declare-parameters-that-a-step-leaves-unused"),
    ("fsdp", "distributed/fsdp/#shard-a-model-with-fsdp2s-fully_shard"),
    # errors as readers type them, not pasted
    (
        "mat1 and mat2 shapes cannot be multiplied",
        "reference/pitfalls/#runtimeerror-mat1-and-mat2-shapes-cannot-be-multiplied",
    ),
    (
        "modified by an inplace operation",
        "reference/pitfalls/#runtimeerror-a-variable-needed-for-gradient-computation-has-been-modified",
    ),
    (
        "trying to backward through the graph a second time",
        "basics/autograd/#backpropagate-twice-through-one-graph",
    ),
    (
        "cuda out of memory",
        "reference/common-errors/#torchoutofmemoryerror-cuda-out-of-memory-tried-to-allocate",
    ),
    (
        "device-side assert triggered",
        "reference/common-errors/#runtimeerror-cuda-error-device-side-assert-triggered",
    ),
    ("Variable deprecated", "reference/legacy/#replace-variable-with-a-tensor"),
    (
        "size_average deprecated",
        "reference/legacy/#pass-reduction-instead-of-size_average-and-reduce",
    ),
    # GANs
    ("gan training loop", "recipes/gan/#train-a-gan-on-a-gaussian"),
]

# Queries whose section the site's search does not yet show in the first SHOWN results, with
# what it shows instead: the test expects them to fail (xfail, strict), so a fix shows as XPASS.
KNOWN_MISSES = {
    "load model": "shows training/metrics/#evaluate-a-model-on-the-test-sets-data-loader",
    "torch.export": "shows performance/export/#know-that-torchscript-is-deprecated",
    "count parameters": "shows models/inspect/#count-only-the-trainable-parameters",
    "weight initialization": "shows models/init/#fill-a-weight-with-kaiming-he-initialization",
    "transfer learning": "shows recipes/pretrained/",
    "nn.Embedding": "shows models/sequences/#average-a-bag-of-tokens-with-nnembeddingbag",
    "scaled_dot_product_attention": "shows the section on not passing it a MultiheadAttention mask",
    "tensor to numpy": "shows #get-gradients-with-torchautogradgrad-without-touching-grad",
    "numpy to tensor": "shows #get-gradients-with-torchautogradgrad-without-touching-grad",
    "torch.cat": "shows performance/export/#know-that-torchscript-is-deprecated",
    "torch.where": "shows performance/export/#know-that-torchscript-is-deprecated",
    "convert tensor to float": "shows basics/dtypes/#convert-8-bit-images-to-floats",
    "detach": "shows basics/autograd/#cut-a-tensor-out-of-the-graph-in-place-with-detach_",
    "vmap": "shows models/func/#use-a-custom-function-inside-vmap-and-grad",
    "triplet loss": "shows reference/loss-functions/#tripletmarginwithdistanceloss",
    "confusion matrix": "shows training/metrics/#accumulate-a-confusion-matrix-over-batches",
    "data augmentation": "shows #regularization-weight-decay-dropout-label-smoothing-augmentation",
    "model.to(device)": "shows reference/cheatsheet/#devices",
    "mps apple silicon": "shows basics/devices/#pick-the-device-once-and-use-it-everywhere",
    "mixed precision training": "shows training/mixed-precision/",
    "torch.compile": "shows #reuse-compiled-code-across-runs-with-the-compile-cache",
    "measure inference time": "shows performance/profiling/",
    "channels_last": "shows performance/profiling/#run-a-convolution-model-in-channels_last",
    "fsdp": "shows distributed/fsdp/",
}

# The first line of a traceback from the common-errors page, and the section that explains it.
ERRORS = "reference/common-errors/#"
PASTED_ERRORS = [
    # shapes and views
    (
        "RuntimeError: shape '[-1, 400]' is invalid for input of size 384",
        "runtimeerror-shape-1-400-is-invalid-for-input-of-size-384",
    ),
    (
        "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 1)",
        "indexerror-dimension-out-of-range-expected-to-be-in-range-of-1-0-but-got-1",
    ),
    (
        "RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 9 but got "
        "size 8 for tensor number 1 in the list.",
        "runtimeerror-sizes-of-tensors-must-match-except-in-dimension-1",
    ),
    (
        "RuntimeError: The expanded size of the tensor (3) must match the existing size (2) at "
        "non-singleton dimension 1.  Target sizes: [2, 3].  Tensor sizes: [2]",
        "runtimeerror-the-expanded-size-of-the-tensor-3-must-match-the-existing-size-2-at-non-singleton-dimension-1",
    ),
    (
        "IndexError: too many indices for tensor of dimension 1",
        "indexerror-too-many-indices-for-tensor-of-dimension-1",
    ),
    # dtypes and NumPy
    (
        "ValueError: only one element tensors can be converted to Python scalars",
        "valueerror-only-one-element-tensors-can-be-converted-to-python-scalars",
    ),
    (
        "TypeError: can't convert np.ndarray of type numpy.object_. The only supported types are: "
        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, "
        "uint32, uint16, uint8, and bool.",
        "typeerror-cant-convert-npndarray-of-type-numpyobject_",
    ),
    (
        "NotImplementedError: \"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'",
        "notimplementederror-log_softmax_lastdim_kernel_impl-not-implemented-for-long",
    ),
    # modules and layers
    (
        "AttributeError: cannot assign module before Module.__init__() call",
        "attributeerror-cannot-assign-module-before-module__init__-call",
    ),
    (
        "RuntimeError: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
        "size: [28, 28]",
        "runtimeerror-expected-3d-unbatched-or-4d-batched-input-to-conv2d-but-got-input-of-size-28-28",
    ),
    ("IndexError: index out of range in self", "indexerror-index-out-of-range-in-self"),
    # autograd
    (
        "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn",
        "runtimeerror-element-0-of-tensors-does-not-require-grad-and-does-not-have-a-grad_fn",
    ),
    (
        "RuntimeError: a view of a leaf Variable that requires grad is being used in an in-place "
        "operation.",
        "runtimeerror-a-view-of-a-leaf-variable-that-requires-grad-is-being-used-in-an-in-place-operation",
    ),
    ("ValueError: can't optimize a non-leaf Tensor", "valueerror-cant-optimize-a-non-leaf-tensor"),
    # losses and targets
    (
        "ValueError: Expected input batch_size (8) to match target batch_size (4).",
        "valueerror-expected-input-batch_size-8-to-match-target-batch_size-4",
    ),
    (
        "RuntimeError: 0D or 1D target tensor expected, multi-target not supported",
        "runtimeerror-0d-or-1d-target-tensor-expected-multi-target-not-supported",
    ),
    (
        "ValueError: Using a target size (torch.Size([4])) that is different to the input size "
        "(torch.Size([4, 1])) is deprecated. Please ensure they have the same size.",
        "valueerror-using-a-target-size-torchsize4-that-is-different-to-the-input-size-torchsize4-1",
    ),
    # optimizers and data loading
    (
        "ValueError: optimizer got an empty parameter list",
        "valueerror-optimizer-got-an-empty-parameter-list",
    ),
    (
        "RuntimeError: each element in list of batch should be of equal size",
        "runtimeerror-each-element-in-list-of-batch-should-be-of-equal-size",
    ),
    (
        "TypeError: 'DataLoader' object is not an iterator",
        "typeerror-dataloader-object-is-not-an-iterator",
    ),
    # checkpoints
    (
        "AttributeError: 'collections.OrderedDict' object has no attribute 'eval'",
        "attributeerror-collectionsordereddict-object-has-no-attribute-eval",
    ),
    ("_pickle.UnpicklingError: invalid load key, '<'.", "_pickleunpicklingerror-invalid-load-key"),
    # devices and CUDA
    (
        "RuntimeError: Attempting to deserialize object on a CUDA device but "
        "torch.cuda.is_available() is False. If you are running on a CPU-only machine, please use "
        "torch.load with map_location=torch.device('cpu') to map your storages to the CPU.",
        "runtimeerror-attempting-to-deserialize-object-on-a-cuda-device-but-torchcudais_available-is-false",
    ),
    (
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a "
        "total capacity of 7.79 GiB of which 12.56 MiB is free.",
        "torchoutofmemoryerror-cuda-out-of-memory-tried-to-allocate",
    ),
    (
        "RuntimeError: Input type (torch.FloatTensor) and weight type (torch.cuda.FloatTensor) "
        "should be the same",
        "runtimeerror-input-type-torchfloattensor-and-weight-type-torchcudafloattensor-should-be-the-same",
    ),
    (
        "AssertionError: Torch not compiled with CUDA enabled",
        "assertionerror-torch-not-compiled-with-cuda-enabled",
    ),
    # distributed and compile
    (
        "ValueError: Default process group has not been initialized, please make sure to call "
        "init_process_group.",
        "valueerror-default-process-group-has-not-been-initialized-please-make-sure-to-call-init_process_group",
    ),
    (
        "torch._dynamo.exc.Unsupported: Data-dependent branching",
        "torch_dynamoexcunsupported-data-dependent-branching",
    ),
    (
        "RuntimeError: put_ does not have a deterministic implementation, but you set "
        "'torch.use_deterministic_algorithms(True)'.",
        "runtimeerror-put_-does-not-have-a-deterministic-implementation",
    ),
]
SHOWN = 3  # results a reader reads before giving up on a query
