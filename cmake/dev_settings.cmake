# Warnings and sanitizers for lifeguard's own tests, examples and benchmarks. Never put on
# the lifeguard targets themselves: consumers choose their own flags.
function(lifeguard_dev_settings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                             -Wno-sign-conversion -Werror)
    set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
    if(LIFEGUARD_SANITIZE)
        target_compile_options(${target} PRIVATE -fsanitize=${LIFEGUARD_SANITIZE} -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=all)
        target_link_options(${target} PRIVATE -fsanitize=${LIFEGUARD_SANITIZE})
    endif()
endfunction()
