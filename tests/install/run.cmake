# Installs lifeguard into a scratch prefix, then builds and runs the consumer project
# against the install (find_package) and against the source tree (add_subdirectory).
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
    endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib -DCMAKE_CXX_COMPILER=${CXX}
    -DLIFEGUARD_BUILD_TESTS=OFF -DLIFEGUARD_BUILD_BENCHMARKS=OFF -DLIFEGUARD_BUILD_EXAMPLES=OFF
    -DLIFEGUARD_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${prefix})
run(${CMAKE_COMMAND} --install ${WORK_DIR}/lib)
if(EXISTS ${prefix}/include/lifeguard/detail/../../../CMakeLists.txt)
    message(FATAL_ERROR "the install tree must hold headers only")
endif()

foreach(mode find_package add_subdirectory)
    set(build ${WORK_DIR}/${mode})
    run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${build} -DCMAKE_CXX_COMPILER=${CXX}
        -DLIFEGUARD_CONSUME=${mode} -DLIFEGUARD_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_PREFIX_PATH=${prefix})
    run(${CMAKE_COMMAND} --build ${build})
    run(${build}/core_consumer)
    if(EXISTS ${build}/mariadb_consumer)
        run(${build}/mariadb_consumer)
    endif()
    message(STATUS "consumer via ${mode}: ok")
endforeach()
