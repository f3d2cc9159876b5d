{
  "targets": [
    {
      "target_name": "virtkit",
      "sources": [
        "native/addon.cc",
        "native/call_pool.cc",
        "native/hub.cc",
        "native/errors.cc",
        "native/errors_virt.cc",
        "native/event_loop.cc",
        "native/connect.cc",
        "native/connect_auth.cc",
        "native/connect_events.cc",
        "native/domain.cc",
        "native/storage_pool.cc",
        "native/storage_vol.cc",
        "native/virt_gen.cc",
        "native/virt_gen_typed_params.cc",
        "native/generated/tables.cc",
        "native/overrides/structs.cc",
        "native/overrides/stats.cc",
        "native/overrides/arrays.cc",
        "native/overrides/identity.cc",
        "native/vol_stream.cc",
        "native/vol_stream_file.cc",
        "native/console_stream.cc",
        "native/screenshot.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wno-unused-parameter", "-fvisibility=hidden", "<!@(pkg-config --cflags libvirt libvirt-qemu)"],
      "libraries": ["<!@(pkg-config --libs libvirt libvirt-qemu)"],
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
